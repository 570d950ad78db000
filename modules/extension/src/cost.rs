use crate::Architecture;

/// Published on-demand prices (us-east-1); other regions and Savings Plans differ, hence the
/// overrides in `Config`.
pub const X86_64_USD_PER_GB_SECOND: f64 = 0.0000166667;
pub const ARM64_USD_PER_GB_SECOND: f64 = 0.0000133334;
pub const USD_PER_MILLION_REQUESTS: f64 = 0.20;

/// Lambda's GB is 1024 MB and its billed duration is in milliseconds.
const MB_MS_PER_GB_SECOND: f64 = 1024.0 * 1000.0;

/// Costs are rounded to a femto-dollar: far below any real bill, and it keeps float noise
/// (`2.2833375000000003e-6`) out of the emitted figures so they read as the hand computation.
const ROUNDING: f64 = 1e15;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pricing {
    pub usd_per_gb_second: f64,
    pub usd_per_million_requests: f64,
}

impl Pricing {
    pub fn published(architecture: Architecture) -> Self {
        let usd_per_gb_second = match architecture {
            Architecture::X86_64 => X86_64_USD_PER_GB_SECOND,
            Architecture::Arm64 => ARM64_USD_PER_GB_SECOND,
        };
        Self {
            usd_per_gb_second,
            usd_per_million_requests: USD_PER_MILLION_REQUESTS,
        }
    }

    /// Compute charge for the billed duration plus the one request, in USD.
    pub fn invocation_cost_usd(&self, billed_duration_ms: u64, memory_size_mb: u64) -> f64 {
        let gb_seconds = (billed_duration_ms as f64 * memory_size_mb as f64) / MB_MS_PER_GB_SECOND;
        let cost = gb_seconds * self.usd_per_gb_second + self.usd_per_million_requests / 1e6;
        (cost * ROUNDING).round() / ROUNDING
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(architecture: Architecture, billed_ms: u64, memory_mb: u64) -> f64 {
        Pricing::published(architecture).invocation_cost_usd(billed_ms, memory_mb)
    }

    // Hand-computed: GB-s = billed_ms/1000 * memory_mb/1024; cost = GB-s * price + 0.20/1e6.
    #[test]
    fn x86_64_costs_match_the_hand_computation() {
        // 1 s * 0.125 GB * 0.0000166667 = 0.0000020833375, + 0.0000002
        assert_eq!(cost(Architecture::X86_64, 1000, 128), 0.0000022833375);
        // 0.1 s * 1 GB * 0.0000166667 = 0.00000166667, + 0.0000002
        assert_eq!(cost(Architecture::X86_64, 100, 1024), 0.00000186667);
        // 2.5 s * 10 GB * 0.0000166667 = 0.0004166675, + 0.0000002
        assert_eq!(cost(Architecture::X86_64, 2500, 10240), 0.0004168675);
    }

    #[test]
    fn arm64_costs_match_the_hand_computation() {
        // 1 s * 0.125 GB * 0.0000133334 = 0.000001666675, + 0.0000002
        assert_eq!(cost(Architecture::Arm64, 1000, 128), 0.000001866675);
        // 0.1 s * 1 GB * 0.0000133334 = 0.00000133334, + 0.0000002
        assert_eq!(cost(Architecture::Arm64, 100, 1024), 0.00000153334);
        // 2.5 s * 10 GB * 0.0000133334 = 0.000333335, + 0.0000002
        assert_eq!(cost(Architecture::Arm64, 2500, 10240), 0.000333535);
    }

    #[test]
    fn a_one_millisecond_invocation_still_pays_the_request() {
        // 0.001 s * 1 GB * 0.0000166667 = 0.0000000166667, + 0.0000002
        assert_eq!(cost(Architecture::X86_64, 1, 1024), 0.0000002166667);
        // 0.001 s * 0.125 GB * 0.0000166667 = 0.0000000020833375 + 0.0000002, to the femto-dollar
        assert_eq!(cost(Architecture::X86_64, 1, 128), 0.000000202083338);
    }

    #[test]
    fn overridden_prices_are_used() {
        let pricing = Pricing {
            usd_per_gb_second: 0.00001,
            usd_per_million_requests: 0.0,
        };
        assert_eq!(pricing.invocation_cost_usd(1000, 2048), 0.00002);
    }
}
