//! The fast reader of a `--shard-map` export: one pass over the bytes of a plain, complete
//! `list-shards` or `describe-stream` document that copies each shard's ID inline and parses
//! its hash keys in place (no `String` per field, no serde machinery), on two threads
//! for a large map, and a large file streamed through a buffer of about a megabyte per thread.
//!
//! It reads a strict subset of what the serde pass in `aws_cli` reads, and gives the same
//! shards for it: UTF-8 JSON without escapes, one of `Shards` or `StreamDescription.Shards`,
//! every shard an object with a string `ShardId` and a `HashKeyRange` of two valid hash keys,
//! no duplicate field. Anything else (an escape, a duplicate field, a wrong type, a partial
//! listing, invalid JSON or UTF-8, a bad hash key) is `None`, and the caller reads the document
//! the old way, which gives the located message. The lexing (whitespace, strings, numbers,
//! literals) is `json_scan`'s strict cursor, the one the envelope fast path reads with.

use crate::json_scan::Cursor;
use crate::keyspace::{ShardId, ShardRange, hash_key_value};

/// Nesting deeper than this is left to the full readers (serde_json stops at 128).
const MAX_DEPTH: u32 = 64;

/// Below this many bytes one thread reads the whole document.
const SPLIT_BYTES: usize = 1 << 20;

/// The shards of the document `bytes`, or `None` when it is not one this reader takes. With
/// `threads`, a large document is read in two halves at once: see [`Scan::elements`].
pub(super) fn shard_ranges(bytes: &[u8], threads: bool) -> Option<Vec<ShardRange>> {
    if threads && bytes.len() >= SPLIT_BYTES {
        split_ranges(bytes, bytes.len() / 2)
    } else {
        Scan::new(std::str::from_utf8(bytes).ok()?).whole()
    }
}

/// [`shard_ranges`] on two threads, the second starting at the first shard it finds from
/// `from` on (if any); always the answer of one thread. Each thread checks the UTF-8 of its own
/// part: the split is before an ASCII `{`, so the whole is UTF-8 exactly when both parts are
/// (the serial check of a 40 MB map was a fifth of its reading time).
pub(super) fn split_ranges(bytes: &[u8], from: usize) -> Option<Vec<ShardRange>> {
    let Some(split_at) = next_object_in_array(bytes, from) else {
        return Scan::new(std::str::from_utf8(bytes).ok()?).whole();
    };
    let (head, tail) = bytes.split_at(split_at);
    let split = std::thread::scope(|scope| {
        let tail = scope.spawn(move || {
            let text = std::str::from_utf8(tail).ok()?;
            let mut s = Scan::new(text);
            let shards = s.elements(Vec::new())?;
            Some((shards, text, s.c.i))
        });
        let mut s = Scan::new(std::str::from_utf8(head).ok()?);
        s.split_at = split_at;
        s.tail = Some(Box::new(move |mut out| {
            let (rest, text, end) = tail.join().ok().flatten()?;
            out.extend(rest);
            Some((out, text, end))
        }));
        s.whole()
    });
    match split {
        Some(shards) => Some(shards),
        // The head ends at the guessed split, so a head that does not arrive there as the start
        // of a shard (a guess inside a string, in another array) fails at its end: read the
        // whole from the start, as one thread does.
        None => Scan::new(std::str::from_utf8(bytes).ok()?).whole(),
    }
}

/// Bytes a streamed piece holds, per thread.
pub(super) const PIECE_BYTES: usize = 1 << 20;
/// A piece grows to hold one shard element, up to this; past it the document is left to the
/// whole-document readers.
const MAX_PIECE: usize = 16 << 20;
/// Bytes of the document after its shard array read, at most (the closing fields).
const MAX_REST: u64 = 1 << 20;

/// Reads bytes at an offset of the document, as `pread` does: how many (0 at its end), or
/// `None` on an error.
pub(super) type ReadAt<'r> = &'r (dyn Fn(&mut [u8], u64) -> Option<usize> + Sync);

/// [`shard_ranges`] on a document of `len` bytes read through `read_at` in pieces of about
/// `piece` bytes, one buffer per thread: a 40 MB map read whole was 40 MB of fresh pages, and
/// the kernel's zeroing of them was a fifth of the time of reading it. The first piece is
/// read as a document cut at a guessed element start of the shard array near its end; from
/// there, the array's elements are read piece by piece (each piece cut at such a guess, the
/// rest kept for the next), on two threads from a guessed element start halfway when
/// `threads`, and then the document's closing fields. A guess that is not an element start
/// of the shard array is never arrived at, so it gives `None` or, for the halfway one, the
/// answer of one thread; `None` otherwise as [`shard_ranges`] (or for a shard element
/// larger than [`MAX_PIECE`], closing fields past [`MAX_REST`], a read error, a document
/// shorter than `len`): the caller then reads the whole document.
pub(super) fn stream_ranges(
    read_at: ReadAt,
    len: u64,
    piece: usize,
    threads: bool,
) -> Option<Vec<Vec<ShardRange>>> {
    let mut head = Piece::new(0);
    head.advance(0, piece, read_at, len)?;
    // Grown until an element start is guessed near its end (or it holds the document).
    let cut = loop {
        if head.at_end(len) {
            break head.n;
        }
        if let Some(c) = head.guessed_cut() {
            break c;
        }
        head.grow(read_at, len)?;
    };
    let data = head.data();
    let text = std::str::from_utf8(&data[..cut]).ok()?;
    // The closing fields, read by the tail and parsed by the head, and the second thread's
    // part of the list.
    let (rest, second) = (std::cell::OnceCell::new(), std::cell::Cell::new(Vec::new()));
    let mut s = Scan::new(text);
    if cut < data.len() {
        s.split_at = cut;
        let (rest, second) = (&rest, &second);
        s.tail = Some(Box::new(move |out| {
            let (shards, more, after) =
                stream_array(read_at, out, cut as u64, len, piece, threads)?;
            second.set(more);
            // Bounded: the fields after the shard array are few and short.
            let n = len - after;
            (n <= MAX_REST).then_some(())?;
            let mut closing = Piece::new(after);
            closing.advance(0, n as usize, read_at, len)?;
            let text = String::from_utf8(closing.data().to_vec()).ok()?;
            Some((shards, rest.get_or_init(|| text).as_str(), 0))
        }));
    }
    let shards = s.whole()?;
    // A document cut where the shard array had ended is not read whole: refuse it.
    (cut == data.len() || rest.get().is_some()).then_some(vec![shards, second.take()])
}

/// `out` and the elements of the shard array from the one starting at `from` to the array's
/// end, in two parts, and the offset just past its `]`: on two threads when `threads` and the
/// rest is long enough, the second part from a guessed element start halfway (else empty). A
/// wrong guess gives `None` (the whole-document read then gives the answer), as a wrong cut
/// does.
fn stream_array(
    read_at: ReadAt,
    out: Vec<ShardRange>,
    from: u64,
    len: u64,
    piece: usize,
    threads: bool,
) -> Option<(Vec<ShardRange>, Vec<ShardRange>, u64)> {
    let mut split = None;
    if threads && len - from >= 2 * piece as u64 {
        let mid = from + (len - from) / 2;
        let mut window = Piece::new(mid);
        window.advance(0, 64 << 10, read_at, len)?;
        split = next_object_in_array(window.data(), 0).map(|at| mid + at as u64);
    }
    let Some(split) = split else {
        return match stream_elements(read_at, out, from, None, len, piece)? {
            (shards, Stop::End(after)) => Some((shards, Vec::new(), after)),
            (_, Stop::At) => None,
        };
    };
    // On the pool's threads (a thread started and ended here cost a run more than its work).
    let (first, second) = rayon::join(
        || stream_elements(read_at, out, from, Some(split), len, piece),
        || stream_elements(read_at, Vec::new(), split, None, len, piece),
    );
    match (first?, second?) {
        ((a, Stop::At), (b, Stop::End(after))) => Some((a, b, after)),
        _ => None,
    }
}

/// Where [`stream_elements`] stopped.
enum Stop {
    /// At the given stop, the start of an element.
    At,
    /// Past the array's `]`, at this offset.
    End(u64),
}

/// `out` and the shard elements from the one starting at `from`, up to `stop` (an element
/// start, which must be arrived at) or else the array's end, read piece by piece. After the
/// first piece, `out` is given room for the elements the rest of the document would hold at
/// that piece's density (growing by doubling copied and faulted in a 150,000-shard list
/// twice), so that the map is built in it: see `ShardMap::from_parts`.
fn stream_elements(
    read_at: ReadAt,
    mut out: Vec<ShardRange>,
    from: u64,
    stop: Option<u64>,
    len: u64,
    piece: usize,
) -> Option<(Vec<ShardRange>, Stop)> {
    let mut sized = false;
    let mut p = Piece::new(from);
    p.advance(0, piece, read_at, len)?;
    loop {
        let data = p.data();
        let end = p.base + data.len() as u64;
        let at_stop = stop
            .filter(|&s| (p.base..=end).contains(&s))
            .map(|s| (s - p.base) as usize);
        let cut = match at_stop {
            Some(c) => Some(c),
            None if p.at_end(len) => None,
            None => match p.guessed_cut() {
                Some(c) => Some(c),
                // No element starts near the end: one element fills the piece. Grown, the
                // piece may reach the stop: look again.
                None => {
                    p.grow(read_at, len)?;
                    continue;
                }
            },
        };
        let text = std::str::from_utf8(&data[..cut.unwrap_or(data.len())]).ok()?;
        // Read up to the cut, where the tail (taken there) hands back this text.
        let (at_cut, i) = {
            let mut s = Scan::new(text);
            if let Some(c) = cut {
                s.split_at = c;
                s.tail = Some(Box::new(move |out| Some((out, text, c))));
            }
            out = s.elements(out)?;
            (s.tail.is_none() && cut.is_some(), s.c.i)
        };
        if !at_cut {
            // The array ended before the cut: not where another thread began.
            stop.is_none().then_some(())?;
            return Some((out, Stop::End(p.base + i as u64)));
        }
        if at_stop.is_some() {
            return Some((out, Stop::At));
        }
        let c = cut?;
        if !sized {
            sized = true;
            let (read, left) = (p.base + c as u64 - from, len - (p.base + c as u64));
            let per_byte = out.len() as f64 / read.max(1) as f64;
            out.reserve((per_byte * left as f64 * 1.02) as usize + 16);
        }
        p.advance(c, piece, read_at, len)?;
    }
}

/// A window of the document in a buffer that is reused as it moves on: `buf[pad..pad + n]`
/// holds the bytes from offset `base`, the pad putting them where the kernel copies fastest
/// (see `copy_pad`).
struct Piece {
    buf: Vec<u8>,
    pad: usize,
    base: u64,
    n: usize,
}

impl Piece {
    fn new(base: u64) -> Piece {
        Piece {
            buf: Vec::new(),
            pad: 0,
            base,
            n: 0,
        }
    }

    fn data(&self) -> &[u8] {
        &self.buf[self.pad..self.pad + self.n]
    }

    fn at_end(&self, len: u64) -> bool {
        self.base + self.n as u64 >= len
    }

    /// A guessed element start in the last quarter, past the first byte: where to cut.
    fn guessed_cut(&self) -> Option<usize> {
        next_object_in_array(self.data(), self.n - self.n / 4).filter(|&c| c > 0)
    }

    /// Twice the bytes, up to [`MAX_PIECE`] (`None` past it).
    fn grow(&mut self, read_at: ReadAt, len: u64) -> Option<()> {
        (self.n < MAX_PIECE).then_some(())?;
        self.advance(0, 2 * self.n, read_at, len)
    }

    /// Moves the window to start at `keep` (an index into [`Piece::data`]), keeping the bytes
    /// from there, and reads on until it holds `want` bytes or reaches `len`. `None` on a read
    /// error or a document that ends before `len`.
    fn advance(&mut self, keep: usize, want: usize, read_at: ReadAt, len: u64) -> Option<()> {
        use crate::records::reader::{COPY_ALIGN, copy_pad};
        let base = self.base + keep as u64;
        let kept = self.n - keep;
        let total = (want as u64).min(len.saturating_sub(base)).max(kept as u64) as usize;
        let need = COPY_ALIGN + total;
        if self.buf.capacity() < need {
            self.buf.reserve_exact(need - self.buf.len());
        }
        let pad = copy_pad(self.buf.as_ptr(), base);
        let old = self.pad + keep..self.pad + self.n;
        self.buf.resize(self.buf.len().max(pad + total), 0);
        self.buf.copy_within(old, pad);
        let mut got = kept;
        while got < total {
            let n = read_at(&mut self.buf[pad + got..pad + total], base + got as u64)?;
            // The file is shorter than its length said: leave it to the whole-document read.
            (n > 0).then_some(())?;
            got += n;
        }
        self.buf.truncate(pad + total);
        (self.pad, self.base, self.n) = (pad, base, total);
        Some(())
    }
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

/// What comes from the split point on: given the shards read before it, all the shards to the
/// end of their array, the text going on after its `]`, and the offset there.
type Tail<'a, 's> =
    Box<dyn FnOnce(Vec<ShardRange>) -> Option<(Vec<ShardRange>, &'a str, usize)> + 's>;

struct Scan<'a, 's> {
    c: Cursor<'a>,
    /// Where the second thread started reading shards (`usize::MAX`: no second thread), and
    /// its result, waited for when this reader arrives there.
    split_at: usize,
    tail: Option<Tail<'a, 's>>,
}

impl<'a> Scan<'a, '_> {
    fn new(text: &'a str) -> Self {
        Scan {
            c: Cursor::new(text),
            split_at: usize::MAX,
            tail: None,
        }
    }

    /// The document, all of it.
    fn whole(&mut self) -> Option<Vec<ShardRange>> {
        let shards = self.document()?;
        self.c.at_end().then_some(shards)
    }

    /// The next byte after whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.c.peek_byte()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.c.eat(c)
    }

    /// A string without escapes (an escaped key could spell a field this reader looks for),
    /// borrowed.
    fn string(&mut self) -> Option<&'a str> {
        let s = self.c.string()?;
        if s.escaped {
            return None;
        }
        self.c.line.get(s.start..s.end)
    }

    /// `null` (true) or not (false, nothing consumed).
    fn null(&mut self) -> bool {
        self.peek() == Some(b'n') && self.c.literal(b"null").is_some()
    }

    /// `"…"` or `null`.
    fn opt_string(&mut self) -> Option<Option<&'a str>> {
        if self.null() {
            Some(None)
        } else {
            self.string().map(Some)
        }
    }

    /// `{ "key": value, ... }`, each member read by `member` (the scanner is just after the
    /// colon), which gives `None` for what it does not take (a duplicate field, a wrong type).
    fn object(&mut self, mut member: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.seq(b'{', b'}', |s| {
            let key = s.string()?;
            s.eat(b':')?;
            member(s, key)
        })
    }

    /// `[ value, ... ]`, each element read by `item`.
    fn array(&mut self, item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.seq(b'[', b']', item)
    }

    /// `open`, then `each` for every member or element, comma-separated, up to `close`.
    fn seq(
        &mut self,
        open: u8,
        close: u8,
        mut each: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        self.eat(open)?;
        if self.eat(close).is_some() {
            return Some(());
        }
        loop {
            each(self)?;
            if !self.more(close)? {
                return Some(());
            }
        }
    }

    /// After a member or element: `,` (true: another follows) or `close` (false), consumed.
    fn more(&mut self, close: u8) -> Option<bool> {
        let c = self.peek()?;
        (c == b',' || c == close).then_some(())?;
        self.c.i += 1;
        Some(c == b',')
    }

    /// Any JSON value, checked by the cursor, and skipped. Depth is counted here, from the
    /// document's top, so the second thread (which starts mid-document) counts as the first.
    fn skip(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => self.object(|s, _| s.skip(depth + 1)),
            b'[' => self.array(|s| s.skip(depth + 1)),
            _ => self.c.skip(),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.c.literal(word)
    }

    /// The top-level object: exactly one of a complete `Shards` listing (no `NextToken`) or a
    /// `StreamDescription` with `Shards` (`HasMoreShards` not `true`); no summary.
    fn document(&mut self) -> Option<Vec<ShardRange>> {
        let mut listed = None;
        let mut described = None;
        let mut next_token = false;
        self.object(|s, key| match key {
            "Shards" if listed.is_none() => {
                listed = Some(s.shards()?);
                Some(())
            }
            "StreamDescription" if described.is_none() => {
                described = Some(s.description()?);
                Some(())
            }
            "NextToken" if !next_token => {
                next_token = true;
                s.null().then_some(())
            }
            "Shards" | "StreamDescription" | "StreamDescriptionSummary" | "NextToken" => None,
            _ => s.skip(1),
        })?;
        match (listed, described) {
            (Some(shards), None) | (None, Some(shards)) => Some(shards),
            _ => None,
        }
    }

    fn description(&mut self) -> Option<Vec<ShardRange>> {
        let mut shards = None;
        let mut more = false;
        self.object(|s, key| match key {
            "Shards" if shards.is_none() => {
                shards = Some(s.shards()?);
                Some(())
            }
            "HasMoreShards" if !more => {
                more = true;
                // `true` is a partial listing, not a map.
                if s.null() {
                    Some(())
                } else {
                    s.literal(b"false")
                }
            }
            "Shards" | "HasMoreShards" => None,
            _ => s.skip(2),
        })?;
        shards
    }

    fn shards(&mut self) -> Option<Vec<ShardRange>> {
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
    fn elements(&mut self, mut out: Vec<ShardRange>) -> Option<Vec<ShardRange>> {
        loop {
            self.peek();
            if self.c.i == self.split_at
                && let Some(tail) = self.tail.take()
            {
                let (all, text, end) = tail(out)?;
                // On from the tail's end, in the tail's text.
                self.c.continue_in(text, end);
                return Some(all);
            }
            out.push(self.shard()?);
            if !self.more(b']')? {
                return Some(out);
            }
        }
    }

    fn shard(&mut self) -> Option<ShardRange> {
        let mut id = None;
        let (mut parent, mut adjacent) = (false, false);
        let mut range = None;
        let mut closed = None;
        self.object(|s, key| {
            match key {
                "ShardId" if id.is_none() => id = Some(s.string()?),
                "ParentShardId" if !parent => {
                    parent = true;
                    s.opt_string()?;
                }
                "AdjacentParentShardId" if !adjacent => {
                    adjacent = true;
                    s.opt_string()?;
                }
                "HashKeyRange" if range.is_none() => range = Some(s.hash_key_range()?),
                "SequenceNumberRange" if closed.is_none() => {
                    closed = Some(!s.null() && s.sequence_number_range()?);
                }
                "ShardId"
                | "ParentShardId"
                | "AdjacentParentShardId"
                | "HashKeyRange"
                | "SequenceNumberRange" => return None,
                _ => s.skip(4)?,
            }
            Some(())
        })?;
        let (start, end) = range?;
        Some(ShardRange {
            shard_id: ShardId::new(id?),
            start,
            end,
            closed: closed.unwrap_or(false),
        })
    }

    fn hash_key_range(&mut self) -> Option<(u128, u128)> {
        let (mut start, mut end) = (None, None);
        self.object(|s, key| {
            match key {
                "StartingHashKey" if start.is_none() => start = Some(s.hash_key()?),
                "EndingHashKey" if end.is_none() => end = Some(s.hash_key()?),
                "StartingHashKey" | "EndingHashKey" => return None,
                _ => s.skip(5)?,
            }
            Some(())
        })?;
        Some((start?, end?))
    }

    fn hash_key(&mut self) -> Option<u128> {
        hash_key_value(self.string()?.as_bytes()).ok()
    }

    /// Whether the range is closed: it has a non-null `EndingSequenceNumber`.
    fn sequence_number_range(&mut self) -> Option<bool> {
        let mut ending = None;
        self.object(|s, key| {
            match key {
                "EndingSequenceNumber" if ending.is_none() => {
                    ending = Some(!s.null());
                    if ending == Some(true) {
                        s.skip(5)?;
                    }
                }
                "EndingSequenceNumber" => return None,
                _ => s.skip(5)?,
            }
            Some(())
        })?;
        Some(ending.unwrap_or(false))
    }
}
