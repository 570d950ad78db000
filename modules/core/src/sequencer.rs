use std::cmp::Ordering;

/// The `sequencer` of an S3 event: a hex string that orders events for the same key. S3 only
/// promises that a later event's value is greater when both are compared as numbers, and their
/// lengths can differ, so they are compared after left-padding with zeros.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequencer(String);

/// Width the normalised form pads to: longer than any sequencer S3 has produced (16-20 hex
/// digits), so stores that can only compare strings (DynamoDB conditions) order them right.
pub const SEQUENCER_WIDTH: usize = 32;

impl Sequencer {
    /// `None` for an empty or non-hex value, which then cannot order anything.
    pub fn parse(value: &str) -> Option<Self> {
        let trimmed = value.trim();
        if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let digits = trimmed.trim_start_matches('0').to_ascii_uppercase();
        Some(Self(digits))
    }

    /// Zero-padded to [`SEQUENCER_WIDTH`] (or longer, if ever needed), upper case: string order
    /// equals numeric order for any two normalised values of the same width.
    pub fn normalized(&self) -> String {
        format!("{:0>width$}", self.0, width = SEQUENCER_WIDTH)
    }
}

impl Ord for Sequencer {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Sequencer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(value: &str) -> Sequencer {
        Sequencer::parse(value).expect("valid sequencer")
    }

    #[test]
    fn orders_numerically_across_lengths_and_case() {
        assert!(seq("0055B988C5B0C4DF") < seq("0055B988C5B0C4E0"));
        assert!(seq("FF") < seq("100"));
        assert!(seq("00ff") == seq("FF"));
        assert_eq!(seq("0a").normalized(), format!("{}A", "0".repeat(31)));
        assert!(seq("FF").normalized() < seq("100").normalized());
    }

    #[test]
    fn rejects_non_hex() {
        assert!(Sequencer::parse("").is_none());
        assert!(Sequencer::parse("xyz").is_none());
    }
}
