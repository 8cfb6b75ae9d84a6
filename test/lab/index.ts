// The test lab: network namespaces, nats-server, Vigil agents, faults and the CLI, for lab tests and the demo.
export { createLab, leftoverNamespaces, nodeAddr, natsAddr, CLIENT_ADDR, LAB_CLUSTER, type Lab, type LabOptions } from "./lab.js";
export { EventTail, is, type LoggedEvent } from "./event-tail.js";
export { FAST_LAB_TIMING, renderHaCf, writeClusterConfig, type ClusterConfigFiles, type LabTiming } from "./config-files.js";
export { NatsLab, type NatsPlace } from "./nats.js";
export { AgentSet } from "./agents.js";
export { Faults } from "./faults.js";
export { HolderMonitor, parseMonitorLine, type HolderChange } from "./holder-monitor.js";
export { LabNetwork, listNamespaces } from "./netns.js";
export { LabProcess } from "./lab-process.js";
export { sweepDeadRuns } from "./sweep.js";
export { vigilCli, type VigilCli } from "./cli.js";
export { leaveSignalsToCaller } from "./exit-cleanup.js";
