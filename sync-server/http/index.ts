export { AcceptedOrigins, ownOrigins } from './AcceptedOrigins';
export { originCheck } from './browserOrigins';
export {
  addressOf,
  parseTrustProxy,
  type TrustFunction,
  type TrustProxy,
  trustFunction,
  trustProxiesOn,
} from './clientAddress';
export type { HttpContext } from './HttpContext';
export { HttpError } from './HttpError';
export { createHttpApp, MAX_BODY_BYTES } from './httpApp';
