use crate::identity::ObjectIdentity;

/// Stage 1: an object's bytes as fetched, with its identity. Nothing about the bytes is known
/// yet; the only way forward is [`super::decode`].
#[derive(Debug, Clone)]
pub struct Raw {
    pub identity: ObjectIdentity,
    pub bytes: Vec<u8>,
}

impl Raw {
    pub fn new(identity: ObjectIdentity, bytes: Vec<u8>) -> Self {
        Self { identity, bytes }
    }
}
