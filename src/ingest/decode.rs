//! Bytes to text: the encoding is sniffed from a sample (BOM, then UTF-8 validity, else GB18030)
//! and the whole file is streamed through a decoder that emits UTF-8.

use encoding_rs::{Encoding, GB18030, UTF_8, UTF_16BE, UTF_16LE};
use encoding_rs_io::{DecodeReaderBytes, DecodeReaderBytesBuilder};
use std::io::Read;

/// Picks the encoding of a file from its first bytes. `complete` says the sample is the whole file
/// (otherwise a multi-byte character cut at the sample's end is not held against UTF-8).
pub fn sniff(sample: &[u8], complete: bool) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(sample) {
        return enc;
    }
    match std::str::from_utf8(sample) {
        Ok(_) => UTF_8,
        Err(e) if !complete && e.error_len().is_none() => UTF_8,
        Err(_) => GB18030,
    }
}

/// Reads an encoding name given by flag or config (`utf-8`, `gbk`, `gb18030`, `utf-16le`, …).
pub fn by_name(name: &str) -> Option<&'static Encoding> {
    match name.trim().to_ascii_lowercase().as_str() {
        "utf8" | "utf-8" => Some(UTF_8),
        "utf16le" | "utf-16le" => Some(UTF_16LE),
        "utf16be" | "utf-16be" => Some(UTF_16BE),
        "gbk" | "gb2312" | "gb18030" | "cp936" => Some(GB18030),
        other => Encoding::for_label(other.as_bytes()),
    }
}

/// The name `inspect` shows, saying whether a BOM was there.
pub fn describe(enc: &'static Encoding, sample: &[u8]) -> String {
    let bom = Encoding::for_bom(sample).is_some();
    let name = if enc == GB18030 {
        "GB18030 (GBK)"
    } else {
        enc.name()
    };
    if bom {
        format!("{name} with BOM")
    } else {
        name.to_owned()
    }
}

/// Decodes a whole sample to text, dropping a BOM. Malformed sequences become U+FFFD, which the
/// row parser rejects rather than passing on.
pub fn decode_sample(enc: &'static Encoding, sample: &[u8]) -> String {
    let (text, _, _) = enc.decode(sample);
    text.into_owned()
}

/// Whether a text uses CR alone to end its lines (classic Mac exports).
pub fn cr_only(sample: &str) -> bool {
    sample.contains('\r') && !sample.contains('\n')
}

/// Maps CR to LF when `active`, so that CR-only files have lines like every other file.
#[derive(Debug)]
pub struct CrToLf<R> {
    inner: R,
    active: bool,
}

impl<R: Read> CrToLf<R> {
    pub fn new(inner: R, active: bool) -> Self {
        CrToLf { inner, active }
    }
}

impl<R: Read> Read for CrToLf<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.active {
            buf[..n]
                .iter_mut()
                .filter(|b| **b == b'\r')
                .for_each(|b| *b = b'\n');
        }
        Ok(n)
    }
}

/// Streams `inner` as UTF-8. UTF-8 input passes through unchanged (cells are validated later);
/// a BOM is removed either way.
pub fn stream<R: Read>(inner: R, enc: &'static Encoding) -> DecodeReaderBytes<R, Vec<u8>> {
    DecodeReaderBytesBuilder::new()
        .encoding(Some(enc))
        .utf8_passthru(enc == UTF_8)
        .bom_override(true)
        .strip_bom(true)
        .build(inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"\xef\xbb\xbfa,b", true), UTF_8);
        assert_eq!(sniff(b"\xff\xfea\x00", true), UTF_16LE);
        assert_eq!(sniff(b"\xfe\xff\x00a", true), UTF_16BE);
        assert_eq!(sniff("交易时间".as_bytes(), true), UTF_8);
        let (gbk, _, _) = GB18030.encode("交易时间,金额");
        assert_eq!(sniff(&gbk, true), GB18030);
        // A UTF-8 character cut at the end of a partial sample is still UTF-8.
        let cut = &"交易".as_bytes()[..4];
        assert_eq!(sniff(cut, false), UTF_8);
        assert_eq!(by_name("GBK"), Some(GB18030));
    }
}
