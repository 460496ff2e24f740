// Host-side VM defaults that more than one front end (runm vm run, the shim, the benches) shares.
import { availableParallelism } from "node:os";

/**
 * vCPUs of a VM unless told otherwise: two on a host with 4+ cores, else one. Under TCG (2-core
 * host, measured) two vCPUs start one container ~16 % faster (the agent's runtime starts with
 * parallel JIT and GC threads) but three at once ~50 % slower (six vCPU threads on two cores).
 */
export const DEFAULT_VM_CPUS = availableParallelism() >= 4 ? 2 : 1;

/**
 * Guest memory in MiB unless told otherwise. The guest touches only what it uses (an idle one
 * ~100 MiB), and a restored clone shares its template's untouched pages, so a generous size costs
 * nothing until used; one default for `runm vm run` and the shim means one template serves both.
 */
export const DEFAULT_VM_MEMORY_MIB = 512;
