/**
 * Branded identifiers. A `Platform` is a lower-case connector family name (`github`, `mockapp`);
 * a `ConnectorId` names one configured instance of a connector; an `EventId` is the platform's own
 * id for an audit event, unique per platform.
 */
import { Schema } from "effect"

export const Platform = Schema.String.pipe(
  Schema.pattern(/^[a-z][a-z0-9_]*$/, {
    message: () => "a platform name is a lower-case identifier such as \"github\""
  }),
  Schema.brand("Platform")
)
export type Platform = typeof Platform.Type

export const EventId = Schema.NonEmptyString.pipe(Schema.brand("EventId"))
export type EventId = typeof EventId.Type

export const ConnectorId = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
    message: () => "a connector id is letters, digits, '.', '_' or '-', such as \"github-acme\""
  }),
  Schema.brand("ConnectorId")
)
export type ConnectorId = typeof ConnectorId.Type

export const makePlatform = Schema.decodeSync(Platform)
export const makeConnectorId = Schema.decodeSync(ConnectorId)
export const makeEventId = Schema.decodeSync(EventId)
