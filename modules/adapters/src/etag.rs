/// An ETag as records and output keys keep it: bare, whichever way it was learnt. S3 quotes
/// ETags in its responses (`"abc"`, as HTTP headers do) and in moto's event notifications, but
/// not in real S3's notifications (`abc`). An empty ETag is none.
pub fn bare_etag(etag: &str) -> Option<String> {
    Some(etag.trim_matches('"'))
        .filter(|bare| !bare.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_and_bare_etags_are_the_same_etag() {
        assert_eq!(bare_etag("\"abc\"").as_deref(), Some("abc"));
        assert_eq!(bare_etag("abc").as_deref(), Some("abc"));
        assert_eq!(bare_etag("\"\""), None);
        assert_eq!(bare_etag(""), None);
    }
}
