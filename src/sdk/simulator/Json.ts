/** JSON answers: what a simulator's route decides (status, body, headers) and the HTTP response that carries it. */
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"

export interface JsonAnswer {
  readonly status: number
  /** serialised as JSON; none for an empty answer (204, 304) */
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>>
}

export const jsonContentType = "application/json; charset=utf-8"

/** A response whose body is `text`, already JSON (or none). */
export const jsonText = (status: number, text: string | undefined, headers: Readonly<Record<string, string>> = {}) =>
  text === undefined
    ? HttpServerResponse.empty({ status, headers })
    : HttpServerResponse.text(text, { status, headers, contentType: jsonContentType })

/** A response carrying `answer`'s body as JSON. */
export const jsonResponse = (answer: JsonAnswer) =>
  jsonText(answer.status, answer.body === undefined ? undefined : JSON.stringify(answer.body), answer.headers)
