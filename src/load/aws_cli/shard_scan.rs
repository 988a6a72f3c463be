//! The fast reader of a `--shard-map` export: one pass over the bytes of a plain, complete
//! `list-shards` or `describe-stream` document that borrows each shard's ID from the bytes and
//! parses its hash keys in place (no `String` per field, no serde machinery), on two threads
//! for a large map.
//!
//! It reads a strict subset of what the serde pass in `aws_cli` reads, and gives the same
//! shards for it: UTF-8 JSON without escapes, one of `Shards` or `StreamDescription.Shards`,
//! every shard an object with a string `ShardId` and a `HashKeyRange` of two valid hash keys,
//! no duplicate field. Anything else (an escape, a duplicate field, a wrong type, a partial
//! listing, invalid JSON or UTF-8, a bad hash key) is `None`, and the caller reads the document
//! the old way, which gives the located message.

use crate::keyspace::{ShardRange, hash_key_value};

/// Nesting deeper than this is left to the full readers (serde_json stops at 128).
const MAX_DEPTH: u32 = 64;

/// Below this many bytes one thread reads the whole document.
const SPLIT_BYTES: usize = 1 << 20;

/// The shards of the document `bytes`, or `None` when it is not one this reader takes. With
/// `threads`, a large document is read in two halves at once: see [`Scan::elements`].
pub(super) fn shard_ranges(bytes: &[u8], threads: bool) -> Option<Vec<ShardRange<'_>>> {
    if threads && bytes.len() >= SPLIT_BYTES {
        split_ranges(bytes, bytes.len() / 2)
    } else {
        Scan::new(bytes).whole()
    }
}

/// [`shard_ranges`] on two threads, the second starting at the first shard it finds from
/// `from` on (if any); always the answer of one thread.
pub(super) fn split_ranges(bytes: &[u8], from: usize) -> Option<Vec<ShardRange<'_>>> {
    let Some(split_at) = next_object_in_array(bytes, from) else {
        return Scan::new(bytes).whole();
    };
    std::thread::scope(|scope| {
        let tail = scope.spawn(move || {
            let mut s = Scan::new(bytes);
            s.i = split_at;
            let shards = s.elements(Vec::new())?;
            Some((shards, s.i))
        });
        let mut s = Scan::new(bytes);
        s.split_at = split_at;
        s.tail = Some(Box::new(move || tail.join().ok().flatten()));
        s.whole()
    })
}

/// The first `{` at or after `from` that follows `}` and `,` (whitespace between): where an
/// element of an array of objects seems to start. Only a guess: the reader that comes from
/// the start of the document checks it (see [`Scan::elements`]).
fn next_object_in_array(b: &[u8], from: usize) -> Option<usize> {
    let ws = |i: &mut usize| {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = b.get(*i) {
            *i += 1;
        }
    };
    let mut at = from;
    loop {
        let mut i = at + memchr::memchr(b'}', b.get(at..)?)? + 1;
        at = i;
        ws(&mut i);
        if b.get(i) != Some(&b',') {
            continue;
        }
        i += 1;
        ws(&mut i);
        if b.get(i) == Some(&b'{') {
            return Some(i);
        }
    }
}

/// The high bit of each byte of `x` that ends or breaks a plain string (`"`, `\\`, a control
/// character, or a non-ASCII byte, which needs a UTF-8 check), exact up to the first such
/// byte (borrows only flag bytes above a flagged one).
#[inline]
fn special(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES * 0x80;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    zero(x ^ (ONES * b'"' as u64))
        | zero(x ^ (ONES * b'\\' as u64))
        | (x.wrapping_sub(ONES * 0x20) & !x & HIGH)
        | (x & HIGH)
}

/// What the second thread read: the shards from the split point to the end of their array,
/// and the offset after its `]`.
type Tail<'a, 's> = Box<dyn FnOnce() -> Option<(Vec<ShardRange<'a>>, usize)> + 's>;

struct Scan<'a, 's> {
    bytes: &'a [u8],
    i: usize,
    /// Where the second thread started reading shards (`usize::MAX`: no second thread), and
    /// its result, waited for when this reader arrives there.
    split_at: usize,
    tail: Option<Tail<'a, 's>>,
}

impl<'a> Scan<'a, '_> {
    fn new(bytes: &'a [u8]) -> Self {
        Scan {
            bytes,
            i: 0,
            split_at: usize::MAX,
            tail: None,
        }
    }

    /// The document, all of it.
    fn whole(&mut self) -> Option<Vec<ShardRange<'a>>> {
        let shards = self.document()?;
        self.ws();
        (self.i == self.bytes.len()).then_some(shards)
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.i) {
            self.i += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.bytes.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// A string with neither escapes nor control characters (JSON forbids those raw), its
    /// bytes borrowed; checked to be UTF-8.
    fn string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let b = self.bytes;
        let start = self.i;
        let mut i = start;
        let mut ascii = true;
        loop {
            // Eight bytes at a time up to the first that needs a look.
            if let Some(w) = b.get(i..i + 8) {
                let m = special(u64::from_le_bytes(w.try_into().expect("8 bytes")));
                if m == 0 {
                    i += 8;
                    continue;
                }
                i += (m.trailing_zeros() / 8) as usize;
            }
            match *b.get(i)? {
                b'"' => break,
                b'\\' | 0..0x20 => return None,
                0x80.. => ascii = false,
                _ => {}
            }
            i += 1;
        }
        let body = &b[start..i];
        if !ascii {
            std::str::from_utf8(body).ok()?;
        }
        self.i = i + 1;
        Some(body)
    }

    /// `null` (true) or not (false, nothing consumed).
    fn null(&mut self) -> bool {
        let null = self.peek() == Some(b'n') && self.bytes[self.i..].starts_with(b"null");
        if null {
            self.i += 4;
        }
        null
    }

    /// `"…"` or `null`.
    fn opt_string(&mut self) -> Option<Option<&'a [u8]>> {
        if self.null() {
            Some(None)
        } else {
            self.string().map(Some)
        }
    }

    /// `{ "key": value, ... }`, each member read by `member` (the scanner is just after the
    /// colon), which gives `None` for what it does not take (a duplicate field, a wrong type).
    fn object(&mut self, mut member: impl FnMut(&mut Self, &'a [u8]) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            member(self, key)?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// `[ value, ... ]`, each element read by `item`.
    fn array(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        if self.eat(b']').is_some() {
            return Some(());
        }
        loop {
            item(self)?;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Any JSON value, checked as strictly as serde_json checks what it ignores, and skipped.
    fn skip(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => self.object(|s, _| s.skip(depth + 1)),
            b'[' => self.array(|s| s.skip(depth + 1)),
            b'"' => self.string().map(drop),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number(),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.ws();
        self.bytes[self.i..]
            .starts_with(word)
            .then(|| self.i += word.len())
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Option<()> {
        let b = self.bytes;
        let digits = |i: &mut usize| {
            let from = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > from
        };
        let mut i = self.i;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => {
                digits(&mut i);
            }
            _ => return None,
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                return None;
            }
        }
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            if !digits(&mut i) {
                return None;
            }
        }
        self.i = i;
        Some(())
    }

    /// The top-level object: exactly one of a complete `Shards` listing (no `NextToken`) or a
    /// `StreamDescription` with `Shards` (`HasMoreShards` not `true`); no summary.
    fn document(&mut self) -> Option<Vec<ShardRange<'a>>> {
        let mut listed = None;
        let mut described = None;
        let mut next_token = false;
        self.object(|s, key| match key {
            b"Shards" if listed.is_none() => {
                listed = Some(s.shards()?);
                Some(())
            }
            b"StreamDescription" if described.is_none() => {
                described = Some(s.description()?);
                Some(())
            }
            b"NextToken" if !next_token => {
                next_token = true;
                s.null().then_some(())
            }
            b"Shards" | b"StreamDescription" | b"StreamDescriptionSummary" | b"NextToken" => None,
            _ => s.skip(1),
        })?;
        match (listed, described) {
            (Some(shards), None) | (None, Some(shards)) => Some(shards),
            _ => None,
        }
    }

    fn description(&mut self) -> Option<Vec<ShardRange<'a>>> {
        let mut shards = None;
        let mut more = false;
        self.object(|s, key| match key {
            b"Shards" if shards.is_none() => {
                shards = Some(s.shards()?);
                Some(())
            }
            b"HasMoreShards" if !more => {
                more = true;
                // `true` is a partial listing, not a map.
                if s.null() {
                    Some(())
                } else {
                    s.literal(b"false")
                }
            }
            b"Shards" | b"HasMoreShards" => None,
            _ => s.skip(2),
        })?;
        shards
    }

    fn shards(&mut self) -> Option<Vec<ShardRange<'a>>> {
        self.eat(b'[')?;
        if self.eat(b']').is_some() {
            return Some(Vec::new());
        }
        self.elements(Vec::new())
    }

    /// The shards of an array from the start of one (after `out`) to the array's `]`, which it
    /// consumes. The second thread runs this from its guessed split point; the first, arriving
    /// at that point as the start of an element, takes the second's result instead of reading
    /// on: from there on its own run would be the second's run, the same code on the same bytes
    /// (so the same shards, or the same refusal). If the guess was not an element start of a
    /// shard array, the first thread never arrives there and reads everything itself.
    fn elements(&mut self, mut out: Vec<ShardRange<'a>>) -> Option<Vec<ShardRange<'a>>> {
        loop {
            self.ws();
            if self.i == self.split_at
                && let Some(tail) = self.tail.take()
            {
                let (rest, end) = tail()?;
                out.extend(rest);
                self.i = end;
                return Some(out);
            }
            out.push(self.shard()?);
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(out);
                }
                _ => return None,
            }
        }
    }

    fn shard(&mut self) -> Option<ShardRange<'a>> {
        let mut id = None;
        let (mut parent, mut adjacent) = (false, false);
        let mut range = None;
        let mut closed = None;
        self.object(|s, key| {
            match key {
                b"ShardId" if id.is_none() => id = Some(std::str::from_utf8(s.string()?).ok()?),
                b"ParentShardId" if !parent => {
                    parent = true;
                    s.opt_string()?;
                }
                b"AdjacentParentShardId" if !adjacent => {
                    adjacent = true;
                    s.opt_string()?;
                }
                b"HashKeyRange" if range.is_none() => range = Some(s.hash_key_range()?),
                b"SequenceNumberRange" if closed.is_none() => {
                    closed = Some(!s.null() && s.sequence_number_range()?);
                }
                b"ShardId"
                | b"ParentShardId"
                | b"AdjacentParentShardId"
                | b"HashKeyRange"
                | b"SequenceNumberRange" => return None,
                _ => s.skip(4)?,
            }
            Some(())
        })?;
        let (start, end) = range?;
        Some(ShardRange {
            shard_id: id?,
            start,
            end,
            closed: closed.unwrap_or(false),
        })
    }

    fn hash_key_range(&mut self) -> Option<(u128, u128)> {
        let (mut start, mut end) = (None, None);
        self.object(|s, key| {
            match key {
                b"StartingHashKey" if start.is_none() => start = Some(s.hash_key()?),
                b"EndingHashKey" if end.is_none() => end = Some(s.hash_key()?),
                b"StartingHashKey" | b"EndingHashKey" => return None,
                _ => s.skip(5)?,
            }
            Some(())
        })?;
        Some((start?, end?))
    }

    fn hash_key(&mut self) -> Option<u128> {
        hash_key_value(self.string()?).ok()
    }

    /// Whether the range is closed: it has a non-null `EndingSequenceNumber`.
    fn sequence_number_range(&mut self) -> Option<bool> {
        let mut ending = None;
        self.object(|s, key| {
            match key {
                b"EndingSequenceNumber" if ending.is_none() => {
                    ending = Some(!s.null());
                    if ending == Some(true) {
                        s.skip(5)?;
                    }
                }
                b"EndingSequenceNumber" => return None,
                _ => s.skip(5)?,
            }
            Some(())
        })?;
        Some(ending.unwrap_or(false))
    }
}
