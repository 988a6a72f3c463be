//! A strict, allocation-free JSON cursor, the one lexer of the two fast paths that do not parse
//! with serde (the envelope one pass, `distribution::envelope`, whose shape reads lex values with
//! `string_at` and `number_at`, and the `--shard-map` export reader, `load::aws_cli::shard_scan`):
//! it checks RFC 8259 grammar byte by byte and hands out byte ranges, so a line is read once
//! without serde's per-value dispatch. serde_json spent ≈430 ns on a 210-byte envelope line, and
//! 2× DuckDB leaves ≈400 ns per record for everything; the crates measured instead (sonic-rs's
//! validating `Value` ≈300 ns, simd-json's tape ≈360 ns, both mostly per-document overhead on
//! lines this short) were no better, and their lazy or tape readers accept what serde_json
//! rejects (sonic-rs skips `1e400` and lone surrogates, simd-json accepts `"\ud800"`).
//!
//! It may only ever be stricter than serde_json, never laxer: every "no" (`None`) sends the
//! line to the full path, which answers with its own reason. So it rejects what serde_json
//! rejects (control characters in strings, bad escapes, lone surrogates, leading zeros,
//! numbers out of f64 range, trailing garbage), and also what it need not decide itself: a
//! number near the f64 limit, nesting deeper than `MAX_DEPTH`. The caller checks UTF-8 once
//! for the whole line, so strings are not checked again here.

/// Deeper values go to the full path (serde_json's own limit is 128).
const MAX_DEPTH: u32 = 64;

/// Reads one JSON text from `line`; `i` is the next byte to read.
pub(crate) struct Cursor<'a> {
    pub line: &'a str,
    b: &'a [u8],
    pub i: usize,
    depth: u32,
}

/// A string value: its contents `line[start..end]` (between the quotes).
#[derive(Clone, Copy)]
pub(crate) struct Str {
    pub start: usize,
    pub end: usize,
    /// Has a `\` escape: the contents are not the value's text.
    pub escaped: bool,
}

/// A number: `line[start..end]`, and whether it is an integer (no fraction or exponent).
#[derive(Clone, Copy)]
pub(crate) struct Num {
    pub start: usize,
    pub end: usize,
    pub integer: bool,
}

/// The kind of value that starts at the cursor.
pub(crate) enum Peek {
    Object,
    Array,
    Str,
    Num,
    True,
    False,
    Null,
}

/// SWAR masks: one high bit per byte of `w` that is `"`, `\` or below 0x20. The lowest flagged
/// byte is exact (borrows only spill into higher bytes), which is all `string` uses.
#[inline]
fn specials(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let quote = zero(w ^ (ONES * b'"' as u64));
    let backslash = zero(w ^ (ONES * b'\\' as u64));
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    quote | backslash | control
}

/// The length of the run of ASCII digits at `b[i..]`, eight bytes at a time: a byte is flagged
/// when it is below `0`, above `9` (adding 0x46 carries it into the high bit) or not ASCII; as in
/// `specials`, only the lowest flagged byte is exact, and only it is used.
#[inline]
fn digits(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let from = i;
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let m = (w.wrapping_sub(ONES * 0x30) | w.wrapping_add(ONES * 0x46) | w) & HIGH;
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize - from;
        }
        i += 8;
    }
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i - from
}

fn hex4(b: &[u8]) -> Option<u32> {
    let mut v = 0;
    for &c in b.get(..4)? {
        v = v * 16 + (c as char).to_digit(16)?;
    }
    Some(v)
}

/// The string token at `b[i]` (its opening quote), by the rules of `Cursor::string`, and whether
/// it may hold bytes above ASCII: a conservative flag (it also sees a few bytes past the closing
/// quote), for callers that check UTF-8 per string instead of per line. UTF-8 is not checked
/// here; a quote, backslash or control byte is never part of a multi-byte character, so the
/// token ends where it would in checked text.
#[inline(always)]
pub(crate) fn string_at(b: &[u8], mut i: usize) -> Option<(Str, bool)> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    (*b.get(i)? == b'"').then_some(())?;
    i += 1;
    let start = i;
    let mut escaped = false;
    let mut high = 0u64;
    loop {
        // Eight bytes at a time up to the next quote, backslash or control byte.
        while let Some(chunk) = b.get(i..i + 8) {
            let w = u64::from_le_bytes(chunk.try_into().ok()?);
            high |= w;
            let m = specials(w);
            if m != 0 {
                i += (m.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        match *b.get(i)? {
            b'"' => {
                let s = Str {
                    start,
                    end: i,
                    escaped,
                };
                return Some((s, high & HIGH != 0));
            }
            b'\\' => {
                escaped = true;
                i = escape_at(b, i)?;
            }
            0..0x20 => return None,
            c => {
                high |= u64::from(c);
                i += 1;
            }
        }
    }
}

/// One escape at `b[i]` (`\`), the index after it: the ones RFC 8259 lists; a `\u` surrogate
/// only as a high one directly followed by a low one (serde_json rejects lone surrogates when
/// it decodes).
fn escape_at(b: &[u8], mut i: usize) -> Option<usize> {
    match *b.get(i + 1)? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
        b'u' => {
            let v = hex4(b.get(i + 2..)?)?;
            i += 6;
            if (0xDC00..0xE000).contains(&v) {
                return None;
            }
            if (0xD800..0xDC00).contains(&v) {
                if b.get(i..i + 2)? != b"\\u" {
                    return None;
                }
                let lo = hex4(b.get(i + 2..)?)?;
                if !(0xDC00..0xE000).contains(&lo) {
                    return None;
                }
                i += 6;
            }
        }
        _ => return None,
    }
    Some(i)
}

/// The number token at `b[i]`, by RFC 8259's grammar. Integers of up to 300 digits and
/// decimals without an exponent are within f64 range; with an exponent the value is parsed and
/// must stay well inside it (serde_json rejects infinite values; the edge is left to it).
// Always inlined, as `string_at`: returned through memory, the `Option<Num>` was read back with
// a wider load than it was written with, a stall after every number of a shape read.
#[inline(always)]
pub(crate) fn number_at(b: &[u8], start: usize) -> Option<Num> {
    let mut i = start;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    let int_start = i;
    match *b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i += digits(b, i),
        _ => return None,
    }
    let int_digits = i - int_start;
    let mut integer = true;
    if b.get(i) == Some(&b'.') {
        integer = false;
        i += 1;
        let n = digits(b, i);
        (n > 0).then_some(())?;
        i += n;
    }
    let mut exponent = false;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        integer = false;
        exponent = true;
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let from = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i > from).then_some(())?;
    }
    if exponent || int_digits > 300 {
        let v: f64 = std::str::from_utf8(b.get(start..i)?).ok()?.parse().ok()?;
        (v.abs() < 1e300).then_some(())?;
    }
    Some(Num {
        start,
        end: i,
        integer,
    })
}

/// A scalar token `Cursor::skip_with` passed over.
#[derive(Clone, Copy)]
pub(crate) enum Scalar {
    Str(Str),
    Num(Num),
}

impl<'a> Cursor<'a> {
    pub fn new(line: &'a str) -> Cursor<'a> {
        Cursor {
            line,
            b: line.as_bytes(),
            i: 0,
            depth: 0,
        }
    }

    /// Skips JSON whitespace and returns the next byte.
    #[inline]
    pub fn peek_byte(&mut self) -> Option<u8> {
        // Compact JSON: the next byte is rarely whitespace, and no byte above a space is.
        if let Some(&c) = self.b.get(self.i)
            && c > b' '
        {
            return Some(c);
        }
        while let Some(&c) = self.b.get(self.i) {
            if !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(c);
            }
            self.i += 1;
        }
        None
    }

    /// Skips whitespace and consumes `c`.
    #[inline]
    pub fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek_byte()? == c).then(|| self.i += 1)
    }

    /// Only whitespace is left.
    /// Reads on in `line` from `i`, at the same depth: for a reader that was given the
    /// document in parts.
    pub fn continue_in(&mut self, line: &'a str, i: usize) {
        self.line = line;
        self.b = line.as_bytes();
        self.i = i;
    }

    pub fn at_end(&mut self) -> bool {
        self.peek_byte().is_none()
    }

    /// The kind of the next value (after whitespace), not consumed.
    #[inline]
    pub fn peek(&mut self) -> Option<Peek> {
        Some(match self.peek_byte()? {
            b'{' => Peek::Object,
            b'[' => Peek::Array,
            b'"' => Peek::Str,
            b'-' | b'0'..=b'9' => Peek::Num,
            b't' => Peek::True,
            b'f' => Peek::False,
            b'n' => Peek::Null,
            _ => return None,
        })
    }

    /// A string (after whitespace).
    // Always inlined, as `key`: returned through memory, the small `Str` was read back with a
    // wider load than it was written with (a store-forwarding stall, 40% of `members`).
    #[inline(always)]
    pub fn string(&mut self) -> Option<Str> {
        self.peek_byte()?;
        let (s, _) = string_at(self.b, self.i)?;
        self.i = s.end + 1;
        Some(s)
    }

    /// A number (after whitespace), by RFC 8259's grammar (`number_at`).
    #[inline]
    pub fn number(&mut self) -> Option<Num> {
        self.peek_byte()?;
        let n = number_at(self.b, self.i)?;
        self.i = n.end;
        Some(n)
    }

    /// `true`, `false` or `null` (after whitespace).
    pub fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.peek_byte()?;
        (self.b.get(self.i..self.i + word.len())? == word).then(|| self.i += word.len())
    }

    /// Enters an object or array: `{` or `[` consumed, depth counted.
    pub fn open(&mut self, c: u8) -> Option<()> {
        self.eat(c)?;
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// After `open`: whether the container has (another) member or element; consumes the `,`
    /// between them or the closing bracket. `first` is for the first call.
    #[inline]
    pub fn next(&mut self, close: u8, first: bool) -> Option<bool> {
        let c = self.peek_byte()?;
        if c == close {
            self.i += 1;
            self.depth -= 1;
            return Some(false);
        }
        if !first {
            (c == b',').then_some(())?;
            self.i += 1;
        }
        Some(true)
    }

    /// An object member's key and its `:`.
    #[inline(always)]
    pub fn key(&mut self) -> Option<Str> {
        let k = self.string()?;
        self.eat(b':')?;
        Some(k)
    }

    /// Skips one value, checking it.
    pub fn skip(&mut self) -> Option<()> {
        self.skip_with(&mut |_| ())
    }

    /// Skips one value, checking it, and hands each string and number in it (member names
    /// aside) to `on`.
    pub fn skip_with(&mut self, on: &mut impl FnMut(Scalar)) -> Option<()> {
        match self.peek()? {
            Peek::Object => {
                self.open(b'{')?;
                let mut first = true;
                while self.next(b'}', first)? {
                    first = false;
                    self.key()?;
                    self.skip_with(on)?;
                }
            }
            Peek::Array => {
                self.open(b'[')?;
                let mut first = true;
                while self.next(b']', first)? {
                    first = false;
                    self.skip_with(on)?;
                }
            }
            Peek::Str => on(Scalar::Str(self.string()?)),
            Peek::Num => on(Scalar::Num(self.number()?)),
            Peek::True => self.literal(b"true")?,
            Peek::False => self.literal(b"false")?,
            Peek::Null => self.literal(b"null")?,
        }
        Some(())
    }

    /// The text of string `s`: borrowed when it has no escapes, else decoded by serde_json
    /// (the escapes were checked, so this does not fail on a string `string` accepted).
    #[inline(always)]
    pub fn text(&self, s: Str) -> Option<std::borrow::Cow<'a, str>> {
        if !s.escaped {
            return self
                .line
                .get(s.start..s.end)
                .map(std::borrow::Cow::Borrowed);
        }
        let quoted = self.line.get(s.start - 1..s.end + 1)?;
        serde_json::from_str::<String>(quoted)
            .ok()
            .map(std::borrow::Cow::Owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SplitMix;

    fn accepts(text: &str) -> bool {
        let mut c = Cursor::new(text);
        c.skip().is_some() && c.at_end()
    }

    #[test]
    fn edges_are_rejected_as_serde_json_rejects_them() {
        for bad in [
            "1e400",
            "-1e400",
            "[1e309]",
            r#""\ud800""#,
            r#""\udc00""#,
            r#""\ud800\u0041""#,
            r#""\ud800x""#,
            r#""\x""#,
            r#""\u12g4""#,
            "\"a\u{1}b\"",
            "\"tab\there\"",
            "01",
            "-",
            "1.",
            ".5",
            "+1",
            "1e",
            "1e+",
            "{\"a\":1,}",
            "[1,]",
            "[1 2]",
            "{\"a\" 1}",
            "{1:2}",
            "tru",
            "nul",
            "\"open",
            "{\"a\":1} x",
            "[]]",
            "",
            " ",
        ] {
            assert!(!accepts(bad), "accepted {bad:?}");
            assert!(
                serde_json::from_str::<serde_json::Value>(bad).is_err(),
                "{bad:?}"
            );
        }
        for good in [
            r#"{"a":[1,-0,0.5,-2.5e-3,1E+2,1e-400,true,false,null,"x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude97"]}"#,
            " [ ] ",
            "{}",
            "\"車両🚗\"",
            "123456789012345678901234567890",
        ] {
            assert!(accepts(good), "rejected {good:?}");
        }
        let deep = "[".repeat(70) + &"]".repeat(70);
        assert!(!accepts(&deep));
    }

    #[test]
    fn digit_runs_are_counted_exactly() {
        // Random bytes around the digit range (and non-ASCII ones) at every offset: the SWAR
        // count is the byte-by-byte one.
        let alphabet = b"0123456789/:.eE-+ \x00\x7f\x80\xb9\xba\xc6\xff";
        let mut rng = SplitMix::new(5, 0);
        for _ in 0..5_000 {
            let len = (rng.next_u64() % 40) as usize;
            let b: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.next_u64().is_multiple_of(4) {
                        alphabet[(rng.next_u64() % alphabet.len() as u64) as usize]
                    } else {
                        b'0' + (rng.next_u64() % 10) as u8
                    }
                })
                .collect();
            for i in 0..=len {
                let want = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                assert_eq!(digits(&b, i), want, "{b:?} at {i}");
            }
        }
    }

    #[test]
    fn never_accepts_what_serde_json_rejects() {
        // Random byte edits of JSON texts: whatever the cursor accepts, serde_json must parse.
        let seeds = [
            r#"{"topic":"vehicles/TEST-1/location","clientid":"TEST-1","timestamp":1667264400000,"payload":{"list":[{"vin":"TEST-1","timestamp":"2022-11-01T10:00:00+09:00","lat":35.000000,"lon":139.000000}]}}"#,
            r#"{"a":[1,-0.5e-3,true,false,null,"x\"\\\u00e9\ud83d\ude97"],"b":{"c":{}}}"#,
        ];
        let alphabet = b"{}[]\":,. \\/u0e1E+-9dDaAbfnrtlsx\t\n\x01\x7f";
        let mut rng = SplitMix::new(17, 0);
        let (mut accepted, mut rejected) = (0, 0);
        for round in 0..20_000 {
            let mut line = seeds[round % seeds.len()].as_bytes().to_vec();
            for _ in 0..1 + rng.next_u64() % 3 {
                let at = (rng.next_u64() % (line.len() as u64 + 1)) as usize;
                let b = alphabet[(rng.next_u64() % alphabet.len() as u64) as usize];
                match rng.next_u64() % 3 {
                    0 if at < line.len() => drop(line.remove(at)),
                    1 if at < line.len() => line[at] = b,
                    _ => line.insert(at, b),
                }
            }
            let Ok(text) = std::str::from_utf8(&line) else {
                continue;
            };
            let serde = serde_json::from_str::<serde_json::Value>(text).is_ok();
            if accepts(text) {
                assert!(serde, "accepted {text}");
                accepted += 1;
            } else {
                rejected += usize::from(!serde);
            }
        }
        // Both sides are exercised.
        assert!(accepted > 2000 && rejected > 5000, "{accepted} {rejected}");
    }
}
