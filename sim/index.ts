// The simulator's public API for tests, the demo and benchmarks.

export { type ControlServer, startControlServer } from "./control";
export { Fleet, type FleetGroup, type FleetSpec, FleetSpecError, loadFleetSpec, startFleet } from "./fleet";
export {
  type OpnsenseFaults,
  type OpnsenseService,
  OpnsenseSim,
  type OpnsenseSimOptions,
  type RowFormat,
  startOpnsense,
} from "./opnsense/server";
export { type Capture, CaptureError, loadCapture } from "./shelly/capture";
export { SimDevice, startDevice } from "./shelly/device";
export { type AuthMode, digestHa1, digestResponse, RPC_HA2, sha256Hex } from "./shelly/digest";
export { type FaultSpec, parseFaultSpec } from "./shelly/faults";
export { OTA_FAILURES, type OtaBehaviour, type OtaFailure, type OtaState } from "./shelly/ota";
export { RequestLog, type RequestLogEntry } from "./shelly/request-log";
export { DEFAULT_PASSWORD, type DeviceOptions } from "./shelly/types";
