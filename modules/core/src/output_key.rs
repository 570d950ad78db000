//! Output keys are a pure function of the input identity, so a retry of the same object version
//! overwrites its renditions instead of adding new ones, and two versions never collide.

use sha2::{Digest, Sha256};

use crate::identity::ObjectIdentity;

/// Longest slug kept from the input key; S3 keys may be 1024 bytes and the prefix, digest and
/// rendition name need room.
const MAX_SLUG_BYTES: usize = 200;

/// `{prefix}{slug}/{digest}/{name}.{extension}`, where `slug` is the input key reduced to
/// `[A-Za-z0-9._-]` segments (readable, safe on any filesystem, no `.`/`..` segments, no leading
/// `/`) and `digest` is 16 hex digits of SHA-256 over bucket, key and revision, which keeps keys
/// unique when two input keys reduce to the same slug. The file name is reduced the same way.
pub fn output_key(prefix: &str, identity: &ObjectIdentity, name: &str, extension: &str) -> String {
    format!(
        "{prefix}{}/{}/{}",
        slug(&identity.key),
        identity_digest(identity),
        slug(&format!("{name}.{extension}").replace('/', "_"))
    )
}

fn identity_digest(identity: &ObjectIdentity) -> String {
    let mut hasher = Sha256::new();
    // NUL separators: none of the parts can contain one in a way that makes two identities
    // hash alike (S3 keys are UTF-8 and bucket names are DNS labels).
    for part in [&identity.bucket, &identity.key, identity.revision()] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex::encode(&hasher.finalize()[..8])
}

fn slug(key: &str) -> String {
    let mut slug = String::with_capacity(key.len().min(MAX_SLUG_BYTES));
    for segment in key.split('/') {
        let cleaned: String = segment
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        // Empty, `.` and `..` segments would make paths that escape or collapse; leading dots
        // would make hidden files.
        let cleaned = cleaned.trim_start_matches('.');
        if cleaned.is_empty() {
            continue;
        }
        let separator = usize::from(!slug.is_empty());
        let room = MAX_SLUG_BYTES.saturating_sub(slug.len() + separator);
        if room == 0 {
            break;
        }
        if separator == 1 {
            slug.push('/');
        }
        // `cleaned` is ASCII, so any byte index is a character boundary.
        slug.push_str(&cleaned[..cleaned.len().min(room)]);
    }
    if slug.is_empty() {
        slug.push('_');
    }
    slug
}
