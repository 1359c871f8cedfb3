// An export job as the API shows it: what was asked, how far it is, and the file once there is one.
import { type Static, Type } from 'typebox'
import { AttendanceBody } from './attendance-query.js'
import { FormatField } from './format.js'
import { SourceReport } from './source-report.js'

export const EXPORT_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const
export type ExportStatusName = (typeof EXPORT_STATUSES)[number]

export const ExportRequest = Type.Object(
  {
    ...AttendanceBody.properties,
    report: Type.Optional(
      Type.Union([Type.Literal('days'), Type.Literal('summary')], {
        default: 'days',
        description:
          "`days` (default): the days, as /attendance/results gives them (an XLSX also gets the `Summary` sheet). `summary`: the users' summaries, as /attendance/summaries gives them.",
      }),
    ),
    groupBy: Type.Optional(
      Type.Literal('person', {
        description:
          'With `report: "summary"`: also the totals per person (PEOPLE_FILE), as /attendance/summaries.',
      }),
    ),
  },
  {
    additionalProperties: false,
    title: 'ExportRequest',
    description:
      'The fields of `POST /attendance/results` (`format` and `bom` included), and `report` / `groupBy`.',
  },
)
export type ExportRequest = Static<typeof ExportRequest>

export const ExportFile = Type.Object(
  {
    name: Type.String({
      description: 'The file name sent in `Content-Disposition`.',
      examples: ['attendance_2024-05-01_2024-05-31.xlsx'],
    }),
    bytes: Type.Integer({ minimum: 0, description: 'Size of the file.' }),
    sha256: Type.String({ description: 'SHA-256 of the file, hex: check the download against it.' }),
    expiresAt: Type.String({
      format: 'date-time',
      description: 'When the file is deleted (`EXPORT_TTL_SECONDS` after it was written); then 410.',
    }),
  },
  { title: 'ExportFile' },
)
export type ExportFile = Static<typeof ExportFile>

/**
 * What each code of a failed export job's `error` means: the enum's description and the README's table of
 * export error codes are made from it (test/errors/error-catalogue.test.ts holds the code to both).
 */
export const EXPORT_ERROR_MEANINGS = {
  EXPORT_FAILED: 'the job broke: the message says why.',
  EXPORT_FILE_TOO_LARGE:
    'the file would have grown past `EXPORT_MAX_FILE_BYTES`: split the export by users or dates.',
  EXPORT_STOPPED: 'every replica that ran the job stopped before it finished.',
  EXPORT_INVALID: 'the query is no longer valid: a source or API key was removed.',
} as const
export type ExportErrorCode = keyof typeof EXPORT_ERROR_MEANINGS
export const EXPORT_ERROR_CODES = Object.keys(EXPORT_ERROR_MEANINGS) as ExportErrorCode[]

export const ExportError = Type.Object(
  {
    code: Type.Enum(EXPORT_ERROR_CODES, {
      description: [
        'Why the job failed:',
        ...EXPORT_ERROR_CODES.map((code) => `- \`${code}\`: ${EXPORT_ERROR_MEANINGS[code]}`),
      ].join('\n'),
    }),
    message: Type.String(),
  },
  { title: 'ExportError' },
)

export const ExportProgress = Type.Object(
  {
    plannedCalls: Type.Integer({
      minimum: 0,
      description: 'Data calls the plan needed when the job started (see `/attendance/plan`).',
    }),
    vendorCalls: Type.Integer({
      minimum: 0,
      description:
        "Data calls made so far for the job's days, retries included: by the job, and by another query whose fetch of the same days the job waited for or found in the result cache since it started (counted as the plan counts them).",
    }),
    days: Type.Integer({ minimum: 0, description: 'DayResults written to the file so far.' }),
    percent: Type.Number({
      minimum: 0,
      maximum: 100,
      description: 'vendorCalls / plannedCalls while running, 100 when finished. Never goes down.',
    }),
  },
  { title: 'ExportProgress' },
)

export const ExportJob = Type.Object(
  {
    id: Type.String({ description: 'The job id.' }),
    status: Type.Enum(EXPORT_STATUSES, {
      description:
        '`queued` → `running` → `succeeded` | `failed`; `cancelled` by DELETE. `succeeded` means the file is written: check `complete` for whether every source answered.',
    }),
    format: FormatField,
    report: Type.Union([Type.Literal('days'), Type.Literal('summary')], {
      description: 'What the file holds.',
    }),
    from: Type.String({ format: 'date' }),
    to: Type.String({ format: 'date' }),
    userCount: Type.Integer({ minimum: 0, description: 'Distinct users asked for.' }),
    createdAt: Type.String({ format: 'date-time' }),
    startedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    progress: ExportProgress,
    etaSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
      description:
        'Seconds left: the calls still planned at each source divided by its rate limit (sources run in parallel, so the slowest counts). Null before it starts and once it is finished.',
    }),
    complete: Type.Union([Type.Boolean(), Type.Null()], {
      description: 'As in the query answer, once finished: false when any source missed something.',
    }),
    sources: Type.Array(SourceReport, { description: 'The source reports, once finished; empty before.' }),
    file: Type.Union([ExportFile, Type.Null()], { description: 'The file once written, else null.' }),
    error: Type.Union([ExportError, Type.Null()], { description: 'Why the job failed; null otherwise.' }),
  },
  { title: 'ExportJob' },
)
export type ExportJob = Static<typeof ExportJob>

export const ExportList = Type.Object(
  { exports: Type.Array(ExportJob, { description: "The caller's jobs, newest first." }) },
  { title: 'ExportList' },
)
