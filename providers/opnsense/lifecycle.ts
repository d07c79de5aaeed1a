// Kept for the provider code stored in existing stacks' state: before the split into
// reservation/ and alias/, both OPNsense providers loaded this module and called these names, and
// refresh and delete still run that stored code (#16826) until the next `up` replaces it. The
// engine runs the stored copy only to configure, read and delete; the rest runs the program's code.

export { delete as deleteAlias, read as readAlias } from "./alias/lifecycle";
export { configure } from "./connection";
export { delete as deleteReservation, read as readReservation } from "./reservation/lifecycle";
