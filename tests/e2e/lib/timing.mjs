// How much slower than a normal build the pws under test is expected to be. The sanitizer
// build (make check-sanitize; tests/CMakeLists.txt sets PWS_TIME_FACTOR) runs several times
// slower, so latency bounds and long waits are multiplied by it; 1 otherwise.
export const TIME_FACTOR = Math.max(1, Number(process.env.PWS_TIME_FACTOR) || 1);
