//! Whether an upload arrived whole. Several decoders hand back an image from a file cut short
//! (the JPEG decoder fills the missing part of a scan with grey and reports success), so
//! `decode` first walks the container's own structure: a file that ends before its format's
//! closing structure is corrupt, whatever the decoder would make of it.

use super::source::SourceFormat;

/// Why a file is not whole: a sentence for the record's reason.
pub(crate) type Truncated = String;

pub(crate) fn check_complete(format: SourceFormat, bytes: &[u8]) -> Result<(), Truncated> {
    match format {
        SourceFormat::Jpeg => jpeg_complete(bytes),
        SourceFormat::Png => png_complete(bytes),
        SourceFormat::Webp => webp_complete(bytes),
        SourceFormat::Gif => gif_complete(bytes),
        // TIFF has no closing structure: its directories point at strips or tiles anywhere in
        // the file, and the decoder itself refuses a read past the end (the cut-point sweep in
        // tests/camera_photos.rs holds it to that).
        SourceFormat::Tiff => Ok(()),
    }
}

const JPEG_SOI: u8 = 0xD8;
const JPEG_EOI: u8 = 0xD9;
const JPEG_SOS: u8 = 0xDA;
const JPEG_TEM: u8 = 0x01;

fn is_jpeg_restart(marker: u8) -> bool {
    (0xD0..=0xD7).contains(&marker)
}

/// Walks the main image's marker segments by their length fields, so the EXIF thumbnail inside
/// APP1 (a whole JPEG of its own, with its own scan and end-of-image) is stepped over, and reads
/// through each scan's entropy-coded data to the marker after it. Whole means: an end-of-image
/// marker after at least one scan. What follows it is allowed (padding, camera trailers), except
/// an appended image (multi-picture files put their second image there), which must be whole too.
fn jpeg_complete(bytes: &[u8]) -> Result<(), Truncated> {
    let mut end = jpeg_image_end(bytes, 0)?;
    loop {
        let rest = &bytes[end..];
        let padding = rest.iter().take_while(|&&b| b == 0x00).count();
        let next = end + padding;
        if bytes[next..].starts_with(&[0xFF, JPEG_SOI, 0xFF]) {
            end = jpeg_image_end(bytes, next)
                .map_err(|why| format!("in the image appended at offset {next}: {why}"))?;
        } else {
            return Ok(());
        }
    }
}

/// The offset just past the end-of-image marker of the JPEG starting at `start`.
fn jpeg_image_end(bytes: &[u8], start: usize) -> Result<usize, Truncated> {
    let mut pos = start + 2;
    let mut scans = 0_usize;
    loop {
        // Any number of FF fill bytes may precede a marker.
        while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let (Some(&first), Some(&marker)) = (bytes.get(pos), bytes.get(pos + 1)) else {
            return Err(cut_short(scans));
        };
        if first != 0xFF {
            return Err(format!("no marker where one belongs (offset {pos})"));
        }
        pos += 2;
        match marker {
            JPEG_EOI if scans > 0 => return Ok(pos),
            JPEG_EOI => return Err("end-of-image marker before any image data".to_owned()),
            JPEG_TEM => continue,
            m if is_jpeg_restart(m) => continue,
            _ => {}
        }
        let Some(length) = bytes
            .get(pos..pos + 2)
            .map(|l| u16::from_be_bytes([l[0], l[1]]))
        else {
            return Err(cut_short(scans));
        };
        if length < 2 {
            return Err(format!("a segment declares {length} bytes (offset {pos})"));
        }
        pos += usize::from(length);
        if pos > bytes.len() {
            return Err(cut_short(scans));
        }
        if marker == JPEG_SOS {
            scans += 1;
            pos = entropy_data_end(bytes, pos).ok_or_else(|| cut_short(scans))?;
        }
    }
}

/// The offset of the first marker after entropy-coded data starting at `pos`. In that data an FF
/// byte is always followed by 00 (a stuffed FF) or a restart marker; anything else ends it.
fn entropy_data_end(bytes: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        pos += bytes.get(pos..)?.iter().position(|&b| b == 0xFF)?;
        match *bytes.get(pos + 1)? {
            0x00 => pos += 2,
            m if is_jpeg_restart(m) => pos += 2,
            0xFF => pos += 1,
            _ => return Some(pos),
        }
    }
}

fn cut_short(scans: usize) -> Truncated {
    if scans == 0 {
        "truncated: the file ends before the image data".to_owned()
    } else {
        "truncated: the file ends inside the image data, before the end-of-image marker".to_owned()
    }
}

/// Chunk by chunk, by their length fields, to a whole IEND chunk.
fn png_complete(bytes: &[u8]) -> Result<(), Truncated> {
    const SIGNATURE: usize = 8;
    let mut pos = SIGNATURE;
    let mut image_data = false;
    while let Some(header) = bytes.get(pos..pos + 8) {
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = &header[4..8];
        // length, type, data, CRC
        let end = pos
            .saturating_add(8)
            .saturating_add(length)
            .saturating_add(4);
        if end > bytes.len() {
            break;
        }
        match kind {
            b"IDAT" => image_data = true,
            b"IEND" => return Ok(()),
            _ => {}
        }
        pos = end;
    }
    Err(if image_data {
        "truncated: the file ends before the IEND chunk".to_owned()
    } else {
        "truncated: the file ends before the image data".to_owned()
    })
}

/// The RIFF header declares the file's length.
fn webp_complete(bytes: &[u8]) -> Result<(), Truncated> {
    let Some(declared) = bytes.get(4..8) else {
        return Err("truncated: no RIFF header".to_owned());
    };
    let declared = u64::from(u32::from_le_bytes([
        declared[0],
        declared[1],
        declared[2],
        declared[3],
    ]));
    let expected = declared + 8;
    let actual = bytes.len() as u64;
    if actual < expected {
        return Err(format!(
            "truncated: the RIFF header declares {expected} bytes, the file has {actual}"
        ));
    }
    Ok(())
}

/// Block by block (extensions and images, each a chain of sub-blocks) to the trailer byte.
fn gif_complete(bytes: &[u8]) -> Result<(), Truncated> {
    const HEADER: usize = 6;
    const SCREEN_DESCRIPTOR: usize = 7;
    const IMAGE_DESCRIPTOR: usize = 9;
    let truncated = || "truncated: the file ends before the GIF trailer".to_owned();
    let color_table = |packed: u8| {
        if packed & 0x80 != 0 {
            3 << ((packed & 0x07) + 1)
        } else {
            0
        }
    };
    let packed = *bytes.get(HEADER + 4).ok_or_else(truncated)?;
    let mut pos = HEADER + SCREEN_DESCRIPTOR + color_table(packed);
    loop {
        match *bytes.get(pos).ok_or_else(truncated)? {
            0x3B => return Ok(()),
            0x21 => pos = skip_sub_blocks(bytes, pos + 2).ok_or_else(truncated)?,
            0x2C => {
                let packed = *bytes.get(pos + IMAGE_DESCRIPTOR).ok_or_else(truncated)?;
                // descriptor, local colour table, LZW minimum code size
                let data = pos + 1 + IMAGE_DESCRIPTOR + color_table(packed) + 1;
                pos = skip_sub_blocks(bytes, data).ok_or_else(truncated)?;
            }
            other => return Err(format!("unknown GIF block 0x{other:02X} at offset {pos}")),
        }
    }
}

/// Past a chain of sub-blocks (a length byte, that many bytes, ... a zero length).
fn skip_sub_blocks(bytes: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let length = usize::from(*bytes.get(pos)?);
        pos += 1;
        if length == 0 {
            return Some(pos);
        }
        pos += length;
    }
}
