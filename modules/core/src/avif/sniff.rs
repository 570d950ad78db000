use super::error::AvifError;
use super::source::SourceFormat;

const ACCEPTED: &str = "accepted: JPEG, PNG, WebP, GIF, TIFF";

/// The format, from the magic bytes only (never the key's extension or the declared content
/// type, which an uploader controls). A format users commonly upload that the pipeline does not
/// take is refused by name, so the record says what to convert.
pub fn sniff_format(bytes: &[u8]) -> Result<SourceFormat, AvifError> {
    if let Some(name) = unaccepted_format(bytes) {
        return Err(AvifError::UnsupportedFormat(format!(
            "{name} is recognised but not accepted ({ACCEPTED})"
        )));
    }
    match image::guess_format(bytes) {
        Ok(format) => SourceFormat::from_image_format(format).ok_or_else(|| {
            AvifError::UnsupportedFormat(format!(
                "{} is recognised but not accepted ({ACCEPTED})",
                format.extensions_str().first().map_or_else(
                    || format!("{format:?}"),
                    |extension| extension.to_ascii_uppercase()
                )
            ))
        }),
        Err(_) => Err(AvifError::UnsupportedFormat(format!(
            "not an image this pipeline accepts ({ACCEPTED}); content starts with {}",
            describe_prefix(bytes)
        ))),
    }
}

/// Formats phones, cameras and design tools produce that `image` does not recognise (BMP, ICO
/// and the rest it names itself, below).
fn unaccepted_format(bytes: &[u8]) -> Option<&'static str> {
    if let Some(brand) = iso_media_brand(bytes) {
        return match brand {
            b"avif" | b"avis" => Some("AVIF"),
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" => {
                Some("HEIC/HEIF")
            }
            _ => None,
        };
    }
    const JPEG_XL_CONTAINER: &[u8] = b"\0\0\0\x0CJXL \r\n\x87\n";
    if bytes.starts_with(&[0xFF, 0x0A]) || bytes.starts_with(JPEG_XL_CONTAINER) {
        return Some("JPEG XL");
    }
    if looks_like_svg(bytes) {
        return Some("SVG");
    }
    None
}

/// The major brand of an ISO base media file (`....ftypBRND`): HEIF and AVIF are such files.
fn iso_media_brand(bytes: &[u8]) -> Option<&[u8; 4]> {
    if bytes.get(4..8)? != b"ftyp" {
        return None;
    }
    bytes.get(8..12)?.try_into().ok()
}

/// SVG is XML text: an `<svg` element near the start, after an optional BOM, XML declaration,
/// comments or doctype.
fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace());
    start.is_some_and(|start| head[start] == b'<')
        && head.windows(4).any(|w| w.eq_ignore_ascii_case(b"<svg"))
}

/// The first bytes of unrecognised content, printable so a record says *what* was uploaded
/// (an HTML page, a zip...) without dumping binary into logs.
fn describe_prefix(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(16)];
    format!("{:?}", String::from_utf8_lossy(head))
}
