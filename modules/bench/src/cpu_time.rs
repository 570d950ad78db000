//! The CPU time the whole process has used, every thread included, so an encode's CPU cost can
//! be taken around the encode alone (the decode before it is the benchmark's input).
use rustix::time::{ClockId, clock_gettime};

/// Seconds of CPU (user + system) this process has used so far.
pub fn process_cpu_s() -> f64 {
    let now = clock_gettime(ClockId::ProcessCPUTime);
    now.tv_sec as f64 + now.tv_nsec as f64 / 1e9
}
