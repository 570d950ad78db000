use serde::{Deserialize, Serialize};

/// The largest side a rendition may ask for. AV1 allows 65536, but nobody serves an image that
/// large and the encoder's memory grows with it.
pub const MAX_RENDITION_SIDE: u32 = 16_384;

/// One output size: the image is scaled to fit inside `max_width` x `max_height`, keeping its
/// aspect ratio, and never scaled up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenditionSpec {
    /// Used in the output key: `[a-z0-9_-]`, 1 to 32 characters.
    pub name: String,
    pub max_width: u32,
    pub max_height: u32,
}

impl RenditionSpec {
    pub fn new(name: &str, max_width: u32, max_height: u32) -> Result<Self, String> {
        if name.is_empty() || name.len() > 32 {
            return Err(format!(
                "rendition name {name:?} must be 1 to 32 characters"
            ));
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return Err(format!(
                "rendition name {name:?} may only use a-z, 0-9, `-` and `_`"
            ));
        }
        for side in [max_width, max_height] {
            if side == 0 || side > MAX_RENDITION_SIDE {
                return Err(format!(
                    "rendition {name:?}: each side must be from 1 to {MAX_RENDITION_SIDE}, got {side}"
                ));
            }
        }
        Ok(Self {
            name: name.to_owned(),
            max_width,
            max_height,
        })
    }

    /// A thumbnail and a display size, the pair most image pipelines start with.
    pub fn defaults() -> Vec<Self> {
        vec![
            Self {
                name: "thumb".to_owned(),
                max_width: 320,
                max_height: 320,
            },
            Self {
                name: "display".to_owned(),
                max_width: 1600,
                max_height: 1600,
            },
        ]
    }

    /// Parses `name=WIDTHxHEIGHT[,name=WIDTHxHEIGHT...]`, e.g. `thumb=320x320,display=1600x1600`.
    pub fn parse_list(text: &str) -> Result<Vec<Self>, String> {
        let mut specs: Vec<Self> = Vec::new();
        for item in text.split(',').map(str::trim) {
            let (name, size) = item
                .split_once('=')
                .ok_or_else(|| format!("{item:?} is not of the form name=WIDTHxHEIGHT"))?;
            let (width, height) = size
                .split_once('x')
                .ok_or_else(|| format!("{item:?}: size {size:?} is not WIDTHxHEIGHT"))?;
            let parse_side = |s: &str| {
                s.trim()
                    .parse::<u32>()
                    .map_err(|_| format!("{item:?}: {s:?} is not a whole number of pixels"))
            };
            let spec = Self::new(name.trim(), parse_side(width)?, parse_side(height)?)?;
            if specs.iter().any(|s| s.name == spec.name) {
                return Err(format!("rendition name {:?} appears twice", spec.name));
            }
            specs.push(spec);
        }
        Ok(specs)
    }

    /// The size this rendition has for a source of `width` x `height`.
    pub fn fit(&self, width: u32, height: u32) -> (u32, u32) {
        fit_inside(width, height, self.max_width, self.max_height)
    }
}

/// Scales `width` x `height` down to fit inside `max_width` x `max_height`, keeping the aspect
/// ratio to within one pixel and never scaling up. Integer arithmetic so the result is exact and
/// the same on every machine (output keys and records must not depend on float rounding).
pub fn fit_inside(width: u32, height: u32, max_width: u32, max_height: u32) -> (u32, u32) {
    if width <= max_width && height <= max_height {
        return (width, height);
    }
    let (w, h) = (u64::from(width), u64::from(height));
    let (max_w, max_h) = (u64::from(max_width), u64::from(max_height));
    // Width is the binding constraint when max_w / w <= max_h / h.
    if max_w * h <= max_h * w {
        let scaled_h = (h * max_w + w / 2) / w;
        (max_width, clamp_side(scaled_h, max_height))
    } else {
        let scaled_w = (w * max_h + h / 2) / h;
        (clamp_side(scaled_w, max_width), max_height)
    }
}

fn clamp_side(side: u64, max: u32) -> u32 {
    // `side` is at most `max` by construction; the clamp documents it and keeps 1 as the floor
    // for extreme aspect ratios (a 1 x 20000 strip still has a 1-pixel side).
    u32::try_from(side.clamp(1, u64::from(max))).unwrap_or(max)
}
