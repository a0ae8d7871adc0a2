export { originCheck } from './browserOrigins';
export type { HttpContext } from './HttpContext';
export { HttpError } from './HttpError';
export { createHttpApp, MAX_BODY_BYTES } from './httpApp';
