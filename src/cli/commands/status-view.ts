// The API's status answers as the CLI reads them (`corral status`, `corral vs list`, and
// `corral deploy` waiting for its release): the model's types (src/model/status-views.ts),
// which the controller builds and the console reads too.
import type { VirtualServerView } from '../../model/index.ts';

export type { FarmStatus, SiteGlance, SiteStatus } from '../../model/index.ts';
/** One virtual server as GET /v1/vs and the status routes list it. */
export type VsView = VirtualServerView;
