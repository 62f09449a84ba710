/**
 * GitHub App installations as the simulator keeps them: `POST /app/installations/{id}/access_tokens`
 * takes the app's RS256 JWT (checked against the app's public key: signature, `iss`, not expired, at
 * most ten minutes long) and answers 201 with an installation token that expires after the configured
 * lifetime (an hour by default). Expired tokens are refused like bad credentials.
 */
import { randomBytes, verify } from "node:crypto"

export interface AppOptions {
  readonly appId: number | string
  readonly installationId: number | string
  /** the app's public key (PEM): the client signs its JWT with the private half */
  readonly publicKey: string
  /** how long an installation token lives (default 3600, GitHub's hour) */
  readonly tokenLifetimeSeconds?: number
}

const decodePart = (part: string): unknown => {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"))
  } catch {
    return undefined
  }
}

/** Whether `jwt` is the app's, valid at `now` (epoch ms). */
export const validAppJwt = (app: AppOptions, jwt: string, now: number): boolean => {
  const [head, body, signature] = jwt.split(".")
  if (head === undefined || body === undefined || signature === undefined) return false
  const header = decodePart(head)
  const claims = decodePart(body)
  if (typeof header !== "object" || header === null || (header as Record<string, unknown>)["alg"] !== "RS256") return false
  if (typeof claims !== "object" || claims === null) return false
  const { exp, iat, iss } = claims as Record<string, unknown>
  const seconds = Math.floor(now / 1000)
  if (typeof exp !== "number" || typeof iat !== "number" || exp <= seconds || exp - iat > 600 || iat > seconds + 60) return false
  if (String(iss) !== String(app.appId)) return false
  return verify("RSA-SHA256", Buffer.from(`${head}.${body}`), app.publicKey, Buffer.from(signature, "base64url"))
}

export const makeAppTokens = (app: AppOptions) => {
  /** token -> when it expires (epoch ms) */
  const issued = new Map<string, number>()
  return {
    /** epoch ms a presented installation token expires, if it is one of ours */
    expiresAt: (token: string): number | undefined => issued.get(token),
    issue: (installationId: string, jwt: string | undefined, now: number): { readonly status: number; readonly body: unknown } => {
      if (jwt === undefined || !validAppJwt(app, jwt, now)) {
        return { status: 401, body: { message: "A JSON web token could not be decoded", documentation_url: "https://docs.github.com/rest" } }
      }
      if (installationId !== String(app.installationId)) {
        return { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app" } }
      }
      const token = `ghs_${randomBytes(18).toString("base64url")}`
      const expires = now + (app.tokenLifetimeSeconds ?? 3600) * 1000
      issued.set(token, expires)
      return {
        status: 201,
        body: {
          token,
          expires_at: new Date(expires).toISOString().replace(/\.\d{3}Z$/, "Z"),
          permissions: { members: "read", metadata: "read", administration: "read", organization_administration: "read" },
          repository_selection: "all"
        }
      }
    }
  }
}
