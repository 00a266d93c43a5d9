// The router part: the HTTP front door (Host → site → endpoints). See README.md.
// Everything but the request path is in follow.ts, which a router node's primary loads alone.
export * from './follow.ts';
export { buildRouter } from './router.ts';
