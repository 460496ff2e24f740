// macOS has no PR_SET_PDEATHSIG. The vfkit driver starts each helper under a tiny sh watchdog that
// polls runm's PID once a second and kills the helper when runm is gone (even after SIGKILL). The
// watchdog is the tracked PID: SIGTERM to it stops the helper at once (its trap).
export function watchdogArgv(parentPid: number, argv: string[]): string[] {
  const script = [
    'parent=$1; shift; "$@" & child=$!',
    'trap \'kill "$child" 2>/dev/null; wait "$child"; exit 0\' TERM INT HUP',
    'while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1 & wait $!; done',
    'kill "$child" 2>/dev/null; wait "$child"',
  ].join("\n");
  return ["/bin/sh", "-c", script, "runm-watchdog", String(parentPid), ...argv];
}
