// Just enough of a Dockerfile parser for the packaging tests: stages and their instructions, with line
// continuations joined and comments dropped, so the tests follow the Dockerfile instead of a copy of it.

export interface Instruction {
  keyword: string
  /** Everything after the keyword, continuations joined. */
  args: string
  /** `--from=build` and the like, taken off `args`'s front. */
  flags: Record<string, string>
  /** The exec form's JSON array, when the arguments are one; otherwise undefined. */
  exec?: string[]
  /** The words after the flags (COPY sources and destination). */
  words: string[]
}

export interface Stage {
  /** `AS name`, or the stage's index as a string. */
  name: string
  image: string
  instructions: Instruction[]
}

export function parseDockerfile(text: string): Stage[] {
  const lines: string[] = []
  let pending = ''
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd()
    if (pending === '' && /^\s*#/.test(line)) continue // comments (and the syntax directive)
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `
      continue
    }
    const joined = (pending + line).trim()
    pending = ''
    if (joined) lines.push(joined)
  }

  const stages: Stage[] = []
  for (const line of lines) {
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? []
    const instruction = toInstruction(keyword.toUpperCase(), rest)
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.words
      stages.push({
        name: as?.toUpperCase() === 'AS' && name ? name : String(stages.length),
        image,
        instructions: [],
      })
      continue
    }
    const stage = stages.at(-1)
    if (!stage) throw new Error(`${keyword} before the first FROM`)
    stage.instructions.push(instruction)
  }
  return stages
}

function toInstruction(keyword: string, args: string): Instruction {
  const flags: Record<string, string> = {}
  let rest = args
  // HEALTHCHECK's and COPY's --options come before the command or the paths.
  for (let match = /^--([\w-]+)=(\S+)\s*/.exec(rest); match; match = /^--([\w-]+)=(\S+)\s*/.exec(rest)) {
    flags[match[1] as string] = match[2] as string
    rest = rest.slice(match[0].length)
  }
  if (keyword === 'HEALTHCHECK') rest = rest.replace(/^CMD\s+/, '')
  let exec: string[] | undefined
  if (rest.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(rest)
      if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) exec = parsed
    } catch {
      // shell form after all
    }
  }
  return { keyword, args, flags, exec, words: rest.split(/\s+/).filter(Boolean) }
}

/** `ENV A=1 B=2` (and the legacy `ENV A 1`) as a record. */
export function parseEnv(args: string): Record<string, string> {
  const pairs = [...args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)]
  if (pairs.length === 0) {
    const [name = '', ...value] = args.split(/\s+/)
    return { [name]: value.join(' ') }
  }
  return Object.fromEntries(
    pairs.map(([, name, value = '']) => [name, value.startsWith('"') ? JSON.parse(value) : value]),
  )
}
