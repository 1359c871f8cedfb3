// What a client may be shown of its own input inside an error message. An error echoes what was sent (a
// user id, a source id, the Accept header, a path) so that the caller sees what to fix; raw, the control
// characters in it would act instead of show: a bidirectional override (U+202E) reverses the rest of the
// line in a terminal, a log viewer or a web page, a C1 control or a line separator (U+2028) starts a new
// one. So every such character is written as the text \uXXXX, at one place: the error handler, which
// shapes every error body the service sends.

/** Characters that change how the text around them is shown, rather than showing themselves. */
function isDisplayControl(code: number): boolean {
  return (
    code <= 0x1f || // C0 controls
    (code >= 0x7f && code <= 0x9f) || // DEL and the C1 controls
    code === 0x061c || // Arabic letter mark
    code === 0x200e || // left-to-right mark
    code === 0x200f || // right-to-left mark
    (code >= 0x202a && code <= 0x202e) || // embeddings and overrides
    (code >= 0x2066 && code <= 0x2069) || // isolates
    code === 0x2028 || // line separator
    code === 0x2029 // paragraph separator
  )
}

const isLoneSurrogate = (char: string): boolean => char.length === 1 && /[\ud800-\udfff]/.test(char)

/** `\u202e` for U+202E: four lower-case hex digits, as JSON writes its escapes. */
export function unicodeEscape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`
}

/** One character as it may be shown: itself, or its escape for a display control or a lone surrogate. */
export function displayChar(char: string): string {
  return isDisplayControl(char.charCodeAt(0)) || isLoneSurrogate(char) ? unicodeEscape(char) : char
}

/** The text with every display control (and lone surrogate) written as \uXXXX; the rest unchanged. */
export function escapeDisplayControls(text: string): string {
  let shown = ''
  for (const char of text) shown += displayChar(char)
  return shown
}
