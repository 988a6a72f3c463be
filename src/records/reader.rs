//! Sample readers, the first stage of the records layer: opens each input (a file, `.gz` by its
//! magic bytes, or `-` for stdin), detects its format, and cuts it into chunks of raw items
//! (lines or JSON array elements), in input order, for `decode` and the consumers. A plain file
//! of lines is read by rayon tasks in parallel byte ranges, each round while the consumer takes
//! the one before on another worker; the rest is streamed on a thread of its own.
//! Nothing here holds more than a few chunks; nothing here parses keys.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// What the records of an input are.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputFormat {
    /// Detect from the first non-empty line.
    #[default]
    Auto,
    /// One UTF-8 partition key per line.
    Keys,
    /// JSON payloads, one per line or a JSON array.
    Payloads,
    /// MQTT envelopes `{"topic","clientid","timestamp","payload"}`, one per line or a JSON array.
    Envelopes,
    /// `aws kinesis get-records` output: `Records[]` with `PartitionKey`, base64 `Data`.
    GetRecords,
    /// EventBridge events (`detail-type`, `source`, `time`, `detail`), one per line or an array:
    /// what a Kinesis target receives.
    Events,
}

impl InputFormat {
    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Auto => "auto",
            InputFormat::Keys => "keys",
            InputFormat::Payloads => "payloads",
            InputFormat::Envelopes => "envelopes",
            InputFormat::GetRecords => "get-records",
            InputFormat::Events => "events",
        }
    }
}

/// How items are numbered in messages: by line, or by array element when a JSON array is
/// streamed (serde does not expose the line of an element).
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unit {
    Line,
    Element,
}

impl Unit {
    pub fn name(self) -> &'static str {
        match self {
            Unit::Line => "line",
            Unit::Element => "element",
        }
    }
}

/// One raw item: `buf[start..start+len]`. Its number in its input is its chunk's to tell
/// ([`Chunk::no`]): a chunk's items are consecutive lines or elements, so eight bytes an item,
/// not sixteen, are written by the splitter and read again by the engine.
#[derive(Copy, Clone, Debug)]
pub struct Item {
    pub start: u32,
    pub len: u32,
}

/// A batch of raw items from one input.
#[derive(Debug)]
pub struct Chunk {
    pub input: usize,
    pub format: InputFormat,
    pub unit: Unit,
    /// Private: `ascii_from` states a fact about these bytes.
    buf: Vec<u8>,
    pub items: Vec<Item>,
    /// The number (1-based) of `items[0]` in its input.
    first_no: u64,
    /// Every byte of `buf` from this offset on is ASCII (`usize::MAX`: not known). The line
    /// splitter learns it in the pass that finds the newlines, while the bytes are in cache.
    ascii_from: usize,
}

impl Chunk {
    pub fn bytes(&self, it: &Item) -> &[u8] {
        &self.buf[it.start as usize..(it.start + it.len) as usize]
    }

    /// The number (1-based) in its input of `items[i]`.
    pub fn no(&self, i: usize) -> u64 {
        self.first_no + i as u64
    }

    /// `buf[lo..hi]` as text, or `None` when it is not UTF-8. A span the splitter found ASCII
    /// is not checked again: validating every key list's bytes took a twentieth of a 10 M-key
    /// run, and more on two threads, where the check was often the first read of the bytes on
    /// the other core.
    pub fn text(&self, lo: usize, hi: usize) -> Option<&str> {
        let b = self.buf.get(lo..hi)?;
        if lo >= self.ascii_from {
            debug_assert!(b.is_ascii());
            // SAFETY: every byte of `buf` from `ascii_from` on is ASCII (set only where the
            // splitter saw them so, and `buf` is not written after), and ASCII is UTF-8.
            Some(unsafe { std::str::from_utf8_unchecked(b) })
        } else {
            std::str::from_utf8(b).ok()
        }
    }
}

/// What the reader reports, in input order.
#[derive(Debug)]
pub enum ReadEvent {
    /// The input was opened and its format is known.
    Started {
        input: usize,
        format: InputFormat,
    },
    Chunk(Chunk),
    /// Part of an input could not be read (the JSON of an array broke): the rest of it is
    /// skipped, the run goes on.
    Broken {
        input: usize,
        unit: Unit,
        no: u64,
        reason: String,
    },
    /// Consecutive chunks of one input, read in parallel (a plain file of lines): in input
    /// order, numbered, as if they had come one by one.
    Chunks(Vec<Chunk>),
    /// The input could not be opened or read at all.
    Failed {
        input: usize,
        message: String,
    },
}

impl ReadEvent {
    /// The chunks this event carries, in input order (none for the other events).
    pub fn chunks(&self) -> &[Chunk] {
        match self {
            ReadEvent::Chunks(cs) => cs,
            ReadEvent::Chunk(c) => std::slice::from_ref(c),
            _ => &[],
        }
    }
}

/// Target size of a chunk of streamed lines (stdin, gzip); lines longer than this grow the
/// chunk. A plain file is read in ranges of twice this (`read_plain_lines`).
pub const CHUNK_BYTES: usize = 1 << 20;
/// Elements per chunk when a JSON array is streamed.
const CHUNK_ELEMENTS: usize = 16_384;

/// Reads every input in order and hands its events to `sink`, one at a time and in order;
/// stops early when `sink` returns false (the consumer is gone).
///
/// The sink runs on a rayon worker for a plain file of lines (so the consumer's own parallel
/// work starts without waking a thread), and on the calling thread for the rest.
pub fn read_inputs(
    paths: &[PathBuf],
    forced: InputFormat,
    chunk_bytes: usize,
    sink: &mut (dyn FnMut(ReadEvent) -> bool + Send),
) {
    for (input, path) in paths.iter().enumerate() {
        super::count_pass(path);
        // The whole file in one pool task: its rounds hand over between workers with no
        // thread outside the pool between them (10 M keys: context switches 500 to 14 on one
        // worker and 1,200-1,600 to 600-700 on two; wall on one worker 5-10% less).
        match rayon::scope(|_| read_plain_lines(input, path, forced, chunk_bytes, sink)) {
            Plain::Done => continue,
            Plain::Stopped => return,
            Plain::Stream => {}
        }
        let reader = match open(path) {
            Ok(r) => r,
            Err(e) => {
                let message = format!("cannot read `{}`: {e}", path.display());
                if !sink(ReadEvent::Failed { input, message }) {
                    return;
                }
                continue;
            }
        };
        if !read_one_ahead(input, reader, forced, chunk_bytes, sink) {
            return;
        }
    }
}

/// [`read_one`] on a thread of its own, one event ahead of `sink` (gzip inflates while the
/// consumer counts). On a pool worker it reads in line instead: the streaming reader splits
/// large chunks on the pool, and with one worker that worker would be waiting on it here.
fn read_one_ahead(
    input: usize,
    reader: Box<dyn BufRead + Send>,
    forced: InputFormat,
    chunk_bytes: usize,
    sink: &mut (dyn FnMut(ReadEvent) -> bool + Send),
) -> bool {
    if rayon::current_thread_index().is_some() {
        return read_one(input, reader, forced, chunk_bytes, sink);
    }
    // One event in hand while the next is read: a deeper queue held more chunks for nothing.
    let (tx, rx) = std::sync::mpsc::sync_channel::<ReadEvent>(0);
    std::thread::scope(|scope| {
        let reading = scope.spawn(move || {
            read_one(input, reader, forced, chunk_bytes, &mut |ev| {
                tx.send(ev).is_ok()
            })
        });
        for ev in rx {
            if !sink(ev) {
                // Dropping the receiver makes the reader's next send fail, and it stops.
                return false;
            }
        }
        // A panic in the reader is the reader's, not the end of the input.
        reading
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

/// What [`read_plain_lines`] did with an input.
enum Plain {
    /// Read to its end.
    Done,
    /// The sink stopped the read.
    Stopped,
    /// Not a regular uncompressed file of lines (stdin, gzip, a JSON array or document, or it
    /// could not be opened): the streaming reader takes it and reports any error.
    Stream,
}

/// Byte ranges per round of [`read_plain_lines`], each read by its own rayon task.
const RANGES_PER_ROUND: u64 = 2;

/// A regular, uncompressed file of lines, read in parallel from its first byte: each round cuts
/// the next `RANGES_PER_ROUND` × `chunk_bytes` bytes into ranges that rayon tasks read at their
/// offsets (no reader thread copying into a shared buffer), while `sink` takes the round before.
/// A task takes the lines that start in its range, reading past its end for the last one; line
/// numbers are then fixed by a prefix sum over the round, so every item is numbered as the
/// streaming reader numbers it. A line
/// past the bound or a read error hands the rest of the file, from the first line not yet
/// taken, to the streaming reader, which reports it as it always has.
#[cfg(unix)]
fn read_plain_lines(
    input: usize,
    path: &Path,
    forced: InputFormat,
    chunk_bytes: usize,
    sink: &mut (dyn FnMut(ReadEvent) -> bool + Send),
) -> Plain {
    use std::io::{Seek, SeekFrom};
    use std::os::unix::fs::FileExt;
    if path.as_os_str() == "-" {
        return Plain::Stream;
    }
    let Ok(mut file) = File::open(path) else {
        return Plain::Stream;
    };
    let len = match file.metadata() {
        Ok(m) if m.is_file() => m.len(),
        _ => return Plain::Stream,
    };
    let mut prefix = vec![0u8; len.min(64 << 10) as usize];
    if file.read_exact_at(&mut prefix, 0).is_err() || prefix.starts_with(&[0x1f, 0x8b]) {
        return Plain::Stream;
    }
    let (format, layout) = detect(&prefix, forced);
    if layout != Layout::Lines {
        return Plain::Stream;
    }
    drop(prefix);
    if !sink(ReadEvent::Started { input, format }) {
        return Plain::Stopped;
    }
    // Ranges of twice the streamed chunk: each round pays its fork-joins and hand-overs, and
    // a chunk its partial last slice, half as often. JSON lines (ten times a key's length, so a
    // tenth of the records a round): 3 M envelopes, wall and CPU -5%, peak RSS +6 MB. Key lists:
    // 10 M keys, two threads, wall -1.5 to -3% and CPU -2 to -3% over two sets of 21
    // interleaved rounds, one thread within 1%, peak RSS 17 to 24 MB.
    let range = (2 * chunk_bytes).max(1024) as u64;
    let (mut pos, mut next_no) = (0u64, 1u64);
    // Just past the last line taken: where the next line starts.
    let mut resume = 0u64;
    // The round read last, handed to the sink while the next one is read.
    let mut pending: Option<Vec<Chunk>> = None;
    while pos < len {
        let starts: Vec<u64> = (0..RANGES_PER_ROUND)
            .map(|i| pos + i * range)
            .take_while(|&a| a < len)
            .collect();
        // The sink on this worker, the reads stolen by the other (or run here after it).
        let (first_no, taken_to) = (next_no, resume);
        let (alive, read) = rayon::join(
            || pending.take().is_none_or(|c| sink(ReadEvent::Chunks(c))),
            || -> io::Result<(Vec<Chunk>, u64, u64)> {
                let read: Vec<Option<(Chunk, u64)>> = starts
                    .par_iter()
                    .map(|&a| read_range(&file, input, format, a, (a + range).min(len), len))
                    .collect::<io::Result<_>>()?;
                let (mut no, mut end) = (first_no, taken_to);
                let mut chunks = Vec::with_capacity(read.len());
                for (mut c, e) in read.into_iter().flatten() {
                    c.first_no = no;
                    no += c.items.len() as u64;
                    end = end.max(e);
                    chunks.push(c);
                }
                Ok((chunks, no, end))
            },
        );
        if !alive {
            return Plain::Stopped;
        }
        let Ok((chunks, no, end)) = read else {
            // The streaming reader says what went wrong, at the right line.
            if let Err(e) = file.seek(SeekFrom::Start(resume)) {
                // Not `Plain::Stream`: the lines before were counted already.
                let message = format!("cannot read `{}`: {e}", path.display());
                let alive = sink(ReadEvent::Failed { input, message });
                return if alive { Plain::Done } else { Plain::Stopped };
            }
            let alive = read_lines_max(
                input,
                format,
                &mut file,
                chunk_bytes,
                MAX_LINE,
                next_no,
                sink,
            );
            return if alive { Plain::Done } else { Plain::Stopped };
        };
        (next_no, resume) = (no, end);
        if !chunks.is_empty() {
            pending = Some(chunks);
        }
        pos = starts.last().map_or(len, |&a| a + range);
    }
    if pending.is_none_or(|c| sink(ReadEvent::Chunks(c))) {
        Plain::Done
    } else {
        Plain::Stopped
    }
}

#[cfg(not(unix))]
fn read_plain_lines(
    _input: usize,
    _path: &Path,
    _forced: InputFormat,
    _chunk_bytes: usize,
    _sink: &mut (dyn FnMut(ReadEvent) -> bool + Send),
) -> Plain {
    Plain::Stream
}

/// Buffers of chunks already counted, kept for the next ranges: a megabyte allocated per range
/// went back to the kernel and was faulted in (and zeroed) again for every range.
static SPARE: std::sync::Mutex<Vec<(Vec<u8>, Vec<Item>)>> = std::sync::Mutex::new(Vec::new());
/// Spare buffers kept, at most (rounds in flight × ranges per round).
const MAX_SPARE: usize = 2 * RANGES_PER_ROUND as usize;

fn spare() -> (Vec<u8>, Vec<Item>) {
    SPARE
        .lock()
        .ok()
        .and_then(|mut g| g.pop())
        .unwrap_or_default()
}

/// Hands the buffers of a counted event back to the parallel reader (any event may be given).
pub fn recycle(ev: ReadEvent) {
    if let ReadEvent::Chunks(cs) = ev
        && let Ok(mut g) = SPARE.lock()
    {
        for c in cs {
            if g.len() < MAX_SPARE {
                g.push((c.buf, c.items));
            }
        }
    }
}

/// Alignment [`copy_pad`] gives a read's destination against its file offset.
pub const COPY_ALIGN: usize = 64;

/// Bytes to skip at `dst` so that a read of the file from `offset` lands at the same offset
/// modulo [`COPY_ALIGN`] as the page cache holds it. The kernel copies a read with `rep movsb`,
/// which on this project's AMD EPYC machines ran four times slower when the destination sat 1
/// to 31 bytes past the source's offset in a page (a page-aligned 627 MB file: 0.25 s of system
/// time against 0.06 s) — and `malloc` puts a large buffer 16 bytes into a page.
pub fn copy_pad(dst: *const u8, offset: u64) -> usize {
    (offset as usize).wrapping_sub(dst as usize) % COPY_ALIGN
}

/// The lines that start in `a..b` of a file of `len` bytes, numbered from 0, and the offset
/// just past the last one; `None` when no line starts there. An error (a read error, or a line
/// longer than [`MAX_LINE`]) makes the caller stream the rest.
#[cfg(unix)]
fn read_range(
    file: &File,
    input: usize,
    format: InputFormat,
    a: u64,
    b: u64,
    len: u64,
) -> io::Result<Option<(Chunk, u64)>> {
    use std::os::unix::fs::FileExt;
    // Byte a-1 tells whether a line starts at `a`: lines start at 0 and after each newline.
    let from = a.saturating_sub(1);
    let (mut buf, mut items) = spare();
    let n = (b - from) as usize;
    // The file's bytes start at `pad`, computed once the buffer has its final address.
    buf.reserve((n + COPY_ALIGN).saturating_sub(buf.len()));
    let pad = copy_pad(buf.as_ptr(), from);
    // A recycled buffer's old bytes are overwritten, not zeroed first.
    if buf.len() >= pad + n {
        buf.truncate(pad + n);
    } else {
        buf.resize(pad + n, 0);
    }
    file.read_exact_at(&mut buf[pad..], from)?;
    let first = if a == 0 {
        pad
    } else {
        match find_newline(&buf[pad..]) {
            // A newline on the range's last byte starts the next range's first line.
            Some(i) if pad + i + 1 < buf.len() => pad + i + 1,
            _ => return Ok(None),
        }
    };
    let too_long = || io::Error::other("a line longer than a sample record can be");
    // The last line runs on to the next newline (or the end of the file).
    if buf.last() != Some(&b'\n') {
        let line_start = memchr_last(&buf[first..]).map_or(first, |i| first + i + 1);
        let mut at = b;
        // Lines are short: read on in small steps first.
        let mut step = 4096u64;
        while at < len {
            let n = (len - at).min(step) as usize;
            step = (step * 2).min(64 << 10);
            let old = buf.len();
            buf.resize(old + n, 0);
            file.read_exact_at(&mut buf[old..], at)?;
            at += n as u64;
            if let Some(i) = find_newline(&buf[old..]) {
                buf.truncate(old + i + 1);
                break;
            }
            if buf.len() - line_start > MAX_LINE {
                return Err(too_long());
            }
        }
        if buf.len() - line_start > MAX_LINE {
            return Err(too_long());
        }
    }
    items.clear();
    let keys = format == InputFormat::Keys;
    let ascii = split_piece(&buf[first..], first, &mut items, keys);
    // Only a range wider than the bound can hold a whole over-long line.
    if buf.len() > MAX_LINE && items.iter().any(|it| it.len as usize > MAX_LINE) {
        return Err(too_long());
    }
    let end = from + (buf.len() - pad) as u64;
    let chunk = Chunk {
        input,
        format,
        unit: Unit::Line,
        buf,
        items,
        // Numbered by the round, once the lines of the ranges before are counted.
        first_no: 0,
        ascii_from: if ascii { first } else { usize::MAX },
    };
    Ok((!chunk.items.is_empty()).then_some((chunk, end)))
}

/// Opens a path (`-` = stdin), un-gzipping when the content starts with the gzip magic.
pub fn open(path: &Path) -> io::Result<Box<dyn BufRead + Send>> {
    let raw: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(path)?)
    };
    let mut br = BufReader::with_capacity(1 << 20, raw);
    let head = br.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::bufread::MultiGzDecoder::new(br),
        )))
    } else {
        Ok(Box::new(br))
    }
}

/// How an input's records are laid out.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Layout {
    Lines,
    Array,
    /// One or more JSON documents with a `Records` array (get-records output).
    Records,
}

fn read_one(
    input: usize,
    mut reader: Box<dyn BufRead + Send>,
    forced: InputFormat,
    chunk_bytes: usize,
    sink: &mut dyn FnMut(ReadEvent) -> bool,
) -> bool {
    // A prefix decides the format; it is then read again in front of the rest.
    let mut prefix = Vec::with_capacity(64 << 10);
    if let Err(e) = (&mut reader).take(64 << 10).read_to_end(&mut prefix) {
        return sink(ReadEvent::Failed {
            input,
            message: format!("cannot read input: {e}"),
        });
    }
    let (format, layout) = detect(&prefix, forced);
    if !sink(ReadEvent::Started { input, format }) {
        return false;
    }
    let mut all = Cursor::new(prefix).chain(reader);
    match layout {
        Layout::Lines => read_lines(input, format, &mut all, chunk_bytes, sink),
        Layout::Array | Layout::Records => {
            let since = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
            let mut b = ElementSink {
                input,
                format,
                chunk: None,
                next_no: 1,
                sink,
                alive: true,
                since: since.clone(),
            };
            let guarded = ElementGuard {
                inner: all,
                since,
                max: MAX_LINE as u64,
            };
            let mut de = serde_json::Deserializer::from_reader(BufReader::new(guarded));
            let result = loop {
                let r = if layout == Layout::Array {
                    ArraySeed(&mut b).deserialize(&mut de)
                } else {
                    RecordsDoc(&mut b).deserialize(&mut de)
                };
                match r {
                    Err(e) => break Err(e),
                    Ok(()) if de.end().is_ok() => break Ok(()),
                    Ok(()) => {}
                }
            };
            let alive = b.flush();
            match result {
                Ok(()) => alive,
                Err(_) if !alive => false,
                Err(e) if e.is_io() => sink(ReadEvent::Broken {
                    input,
                    unit: Unit::Line,
                    no: e.line() as u64,
                    reason: format!(
                        "{}; the rest of the input is skipped",
                        strip_position(&e.to_string())
                    ),
                }),
                Err(e) => sink(ReadEvent::Broken {
                    input,
                    unit: Unit::Line,
                    no: e.line() as u64,
                    reason: format!(
                        "invalid JSON at column {}: {}; the rest of the input is skipped",
                        e.column(),
                        strip_position(&e.to_string())
                    ),
                }),
            }
        }
    }
}

/// serde_json's messages end with " at line L column C", which we say ourselves.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Guesses the format and layout from the start of an input.
fn detect(prefix: &[u8], forced: InputFormat) -> (InputFormat, Layout) {
    let text = prefix.strip_prefix(b"\xef\xbb\xbf").unwrap_or(prefix);
    let first = text.iter().position(|b| !b.is_ascii_whitespace());
    let lead = first.map(|i| text[i]);
    let rest = &text[first.unwrap_or(text.len())..];
    let layout_for_json = if lead == Some(b'[') {
        Layout::Array
    } else {
        Layout::Lines
    };
    match forced {
        InputFormat::Keys => return (InputFormat::Keys, Layout::Lines),
        InputFormat::Payloads | InputFormat::Envelopes | InputFormat::Events => {
            return (forced, layout_for_json);
        }
        InputFormat::GetRecords => return (forced, Layout::Records),
        InputFormat::Auto => {}
    }
    let has = |needle: &[u8]| rest.windows(needle.len()).any(|w| w == needle);
    match lead {
        Some(b'[') => {
            let envelope = has(b"\"payload\"") && (has(b"\"topic\"") || has(b"\"clientid\""));
            let event = has(b"\"detail-type\"") && has(b"\"detail\"");
            let f = if envelope {
                InputFormat::Envelopes
            } else if event {
                InputFormat::Events
            } else {
                InputFormat::Payloads
            };
            (f, Layout::Array)
        }
        Some(b'{') => {
            let line_end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            #[derive(serde::Deserialize)]
            #[allow(non_snake_case)]
            struct Probe {
                Records: Option<IgnoredAny>,
                payload: Option<IgnoredAny>,
                topic: Option<IgnoredAny>,
                clientid: Option<IgnoredAny>,
                #[serde(rename = "detail-type")]
                detail_type: Option<IgnoredAny>,
                detail: Option<IgnoredAny>,
            }
            match serde_json::from_slice::<Probe>(&rest[..line_end]) {
                Ok(p) if p.Records.is_some() => (InputFormat::GetRecords, Layout::Records),
                Ok(p) if p.payload.is_some() && (p.topic.is_some() || p.clientid.is_some()) => {
                    (InputFormat::Envelopes, Layout::Lines)
                }
                Ok(p) if p.detail_type.is_some() && p.detail.is_some() => {
                    (InputFormat::Events, Layout::Lines)
                }
                Ok(_) => (InputFormat::Payloads, Layout::Lines),
                // Pretty-printed: a get-records document, or payload lines we will report.
                Err(_) if has(b"\"Records\"") => (InputFormat::GetRecords, Layout::Records),
                Err(_) => (InputFormat::Payloads, Layout::Lines),
            }
        }
        _ => (InputFormat::Keys, Layout::Lines),
    }
}

/// Longest line kept: one Kinesis record with its base64 and JSON overhead
/// ([`MAX_SAMPLE_LINE_BYTES`](crate::model::limits::MAX_SAMPLE_LINE_BYTES)).
pub const MAX_LINE: usize = crate::model::limits::MAX_SAMPLE_LINE_BYTES;
/// How far past an over-long line's start the reader looks for its end before it gives up on
/// the input: a stream without newlines (10 GiB of zeros gzipped to 47 MB) must not be read
/// to its end.
const MAX_SKIP: u64 = 1 << 30;

/// Cuts a byte stream into chunks of whole lines (`\n`, with a trailing `\r` removed). A line
/// longer than [`MAX_LINE`] is reported and skipped without being held; a read error keeps
/// every whole line read before it.
fn read_lines(
    input: usize,
    format: InputFormat,
    r: &mut dyn Read,
    chunk_bytes: usize,
    sink: &mut dyn FnMut(ReadEvent) -> bool,
) -> bool {
    read_lines_max(input, format, r, chunk_bytes, MAX_LINE, 1, sink)
}

/// As [`read_lines`], with the bound given and the first line numbered `first_no` (the
/// parallel reader hands the rest of a file over here).
fn read_lines_max(
    input: usize,
    format: InputFormat,
    r: &mut dyn Read,
    chunk_bytes: usize,
    max_line: usize,
    first_no: u64,
    sink: &mut dyn FnMut(ReadEvent) -> bool,
) -> bool {
    let mut target = chunk_bytes.max(1024);
    let mut buf: Vec<u8> = Vec::with_capacity(target);
    let mut next_no = first_no;
    let mut eof = false;
    let mut failed: Option<io::Error> = None;
    while !eof {
        // Fill up to the target size (read_to_end does not zero the spare capacity first).
        let want = target.saturating_sub(buf.len());
        if want > 0 {
            buf.reserve(want);
            // On an error, read_to_end keeps what it read before it.
            match (&mut *r).take(want as u64).read_to_end(&mut buf) {
                Ok(n) if n < want => eof = true,
                Ok(_) => {}
                Err(e) => {
                    eof = true;
                    failed = Some(e);
                }
            }
        }
        let cut = if eof && failed.is_none() {
            buf.len()
        } else {
            match memchr_last(&buf) {
                Some(i) => i + 1,
                None if eof => 0,
                None if buf.len() > max_line => {
                    // One line longer than any record: report it, then drop bytes up to its end.
                    let dropped = buf.len() as u64;
                    buf.clear();
                    let (skipped, outcome) = skip_line(r, &mut buf, MAX_SKIP - dropped);
                    let total = dropped + skipped;
                    let reason = match &outcome {
                        Skip::Found => format!(
                            "line of {} bytes is longer than a sample record can be ({} bytes: a 10 MiB Kinesis record, base64, in JSON); skipped",
                            crate::numbers::thousands(total),
                            crate::numbers::thousands(max_line as u64)
                        ),
                        Skip::End => format!(
                            "last line of {} bytes is longer than a sample record can be ({} bytes); skipped",
                            crate::numbers::thousands(total),
                            crate::numbers::thousands(max_line as u64)
                        ),
                        Skip::TooFar => format!(
                            "no end of line in {} bytes (a sample record is at most {} bytes); the rest of the input is skipped",
                            crate::numbers::thousands(total),
                            crate::numbers::thousands(max_line as u64)
                        ),
                        Skip::Failed(e) => format!(
                            "line longer than {} bytes, then a read error: {e}; the rest of the input is skipped",
                            crate::numbers::thousands(max_line as u64)
                        ),
                    };
                    // A line skipped is a bad line; an input given up on could not be read.
                    let found = matches!(outcome, Skip::Found);
                    let event = match outcome {
                        Skip::Found | Skip::End => ReadEvent::Broken {
                            input,
                            unit: Unit::Line,
                            no: next_no,
                            reason,
                        },
                        Skip::TooFar | Skip::Failed(_) => ReadEvent::Failed {
                            input,
                            message: format!("line {next_no}: {reason}"),
                        },
                    };
                    if !sink(event) {
                        return false;
                    }
                    next_no += 1;
                    if !found {
                        return true;
                    }
                    target = chunk_bytes.max(1024);
                    continue;
                }
                None => {
                    // One line longer than the chunk: grow and read on.
                    target = (target * 2).min(max_line + 1);
                    continue;
                }
            }
        };
        let rest = buf.split_off(cut);
        let (items, ascii) = split_lines(&buf, format == InputFormat::Keys);
        let chunk = Chunk {
            input,
            format,
            unit: Unit::Line,
            buf,
            items,
            first_no: next_no,
            ascii_from: if ascii { 0 } else { usize::MAX },
        };
        next_no += chunk.items.len() as u64;
        if !chunk.items.is_empty() && !sink(ReadEvent::Chunk(chunk)) {
            return false;
        }
        if let Some(e) = failed.take() {
            // The lines before the error were counted; a partial last line is not a record.
            let partial = if rest.is_empty() {
                String::new()
            } else {
                format!(
                    " (a partial line of {} bytes after it is dropped)",
                    crate::numbers::thousands(rest.len() as u64)
                )
            };
            return sink(ReadEvent::Failed {
                input,
                message: format!(
                    "cannot read input after line {}: {e}; the {} before it are counted{partial}",
                    crate::numbers::thousands(next_no - 1),
                    if next_no == 2 { "line" } else { "lines" }
                ),
            });
        }
        buf = Vec::with_capacity(target.max(rest.len() * 2));
        buf.extend_from_slice(&rest);
        target = target.max(chunk_bytes);
    }
    true
}

/// Pieces a chunk's lines are split in, in parallel, once it is this large.
const SPLIT_PIECE: usize = 128 << 10;

/// The lines of `buf` (`\n`-ended, a trailing `\r` removed; the last may lack its `\n`), and
/// whether all of `buf` is ASCII. A large chunk is cut at newlines into pieces that rayon
/// workers split at once, so finding line ends is not one thread's work while the others wait
/// for chunks.
fn split_lines(buf: &[u8], ascii: bool) -> (Vec<Item>, bool) {
    if buf.len() < 2 * SPLIT_PIECE {
        let mut items = Vec::with_capacity(buf.len() / 16 + 1);
        let ascii = split_piece(buf, 0, &mut items, ascii);
        return (items, ascii);
    }
    // Piece bounds: just after the first newline at or past each multiple of SPLIT_PIECE.
    let mut bounds = vec![0usize];
    let mut at = SPLIT_PIECE;
    while at < buf.len() {
        match find_newline(&buf[at..]) {
            Some(i) if at + i + 1 < buf.len() => {
                bounds.push(at + i + 1);
                at = at + i + 1 + SPLIT_PIECE;
            }
            _ => break,
        }
    }
    bounds.push(buf.len());
    let pieces: Vec<(Vec<Item>, bool)> = bounds
        .par_windows(2)
        .map(|w| {
            let mut items = Vec::with_capacity((w[1] - w[0]) / 16 + 1);
            let ascii = split_piece(&buf[w[0]..w[1]], w[0], &mut items, ascii);
            (items, ascii)
        })
        .collect();
    let total = pieces.iter().map(|p| p.0.len()).sum();
    let ascii = pieces.iter().all(|p| p.1);
    let mut items = Vec::with_capacity(total);
    for (p, _) in pieces {
        items.extend(p);
    }
    (items, ascii)
}

/// Appends the lines of `piece` (at `offset` in its chunk); true when `ascii` is asked for and
/// all of `piece` is ASCII. Only key lists ask: the line of a JSON format is read by a JSON pass
/// that checks its text anyway, and the extra OR made that split slower (3 M envelopes: CPU
/// +2%).
fn split_piece(piece: &[u8], offset: usize, items: &mut Vec<Item>, ascii: bool) -> bool {
    let mut start = 0usize;
    let mut push = |start: usize, end: usize| {
        let mut line_end = end;
        if line_end > start && piece[line_end - 1] == b'\r' {
            line_end -= 1;
        }
        items.push(Item {
            start: (offset + start) as u32,
            len: (line_end - start) as u32,
        });
    };
    let mut newline = |end| {
        push(start, end);
        start = end + 1;
    };
    let ascii = if ascii {
        for_each_newline::<true>(piece, &mut newline)
    } else {
        for_each_newline::<false>(piece, &mut newline)
    };
    // The last line, when no newline ends it.
    if start < piece.len() {
        push(start, piece.len());
    }
    ascii
}

/// Calls `f` with the index of every `\n` of `b`, in order. With AVX2, two 32-byte compares
/// give the newlines of 64 bytes as one mask: a step per 64 bytes instead of a `memchr` call per
/// line, whose set-up cost more than its search on lines of keys (25 bytes; a tenth of the run).
/// With `ASCII`, returns whether all of `b` is ASCII, which the AVX2 pass learns for one OR per
/// 32 bytes; else false.
#[inline]
fn for_each_newline<const ASCII: bool>(b: &[u8], mut f: impl FnMut(usize)) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        return unsafe { newlines_avx2::<ASCII>(b, &mut f) };
    }
    for i in memchr::memchr_iter(b'\n', b) {
        f(i);
    }
    ASCII && b.is_ascii()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn newlines_avx2<const ASCII: bool>(b: &[u8], f: &mut impl FnMut(usize)) -> bool {
    use std::arch::x86_64::*;
    let nl = _mm256_set1_epi8(b'\n' as i8);
    let mut blocks = b.chunks_exact(64);
    let mut at = 0;
    // Every byte seen, ORed: a high bit set anywhere is a non-ASCII byte.
    let mut high = _mm256_setzero_si256();
    for c in &mut blocks {
        // SAFETY: `c` is 64 bytes: two unaligned 32-byte loads inside it.
        let (lo, hi) = unsafe {
            (
                _mm256_loadu_si256(c.as_ptr().cast()),
                _mm256_loadu_si256(c.as_ptr().add(32).cast()),
            )
        };
        if ASCII {
            high = _mm256_or_si256(high, _mm256_or_si256(lo, hi));
        }
        let lo = _mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, nl)) as u32 as u64;
        let hi = _mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, nl)) as u32 as u64;
        let mut m = lo | hi << 32;
        while m != 0 {
            f(at + m.trailing_zeros() as usize);
            m &= m - 1;
        }
        at += 64;
    }
    let rest = blocks.remainder();
    for (i, &x) in rest.iter().enumerate() {
        if x == b'\n' {
            f(at + i);
        }
    }
    ASCII && _mm256_movemask_epi8(high) == 0 && rest.is_ascii()
}

enum Skip {
    /// The line ended; what followed its newline is in the buffer.
    Found,
    /// The input ended inside the line.
    End,
    /// No newline within the skip budget.
    TooFar,
    Failed(io::Error),
}

/// Reads and drops bytes up to the next `\n` (at most `budget`), leaving what follows it in
/// `rest`. Returns the bytes dropped.
fn skip_line(r: &mut dyn Read, rest: &mut Vec<u8>, budget: u64) -> (u64, Skip) {
    let mut scratch = vec![0u8; 1 << 16];
    let mut dropped = 0u64;
    loop {
        if dropped >= budget {
            return (dropped, Skip::TooFar);
        }
        let n = match r.read(&mut scratch) {
            Ok(0) => return (dropped, Skip::End),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return (dropped, Skip::Failed(e)),
        };
        match find_newline(&scratch[..n]) {
            Some(i) => {
                rest.extend_from_slice(&scratch[i + 1..n]);
                return (dropped + i as u64, Skip::Found);
            }
            None => dropped += n as u64,
        }
    }
}

/// The first `\n` in `b`: where a range's first line starts or a skipped line ends (memchr's
/// SIMD search, once per boundary; the lines of a chunk are split by `for_each_newline`).
pub(crate) fn find_newline(b: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', b)
}

fn memchr_last(b: &[u8]) -> Option<usize> {
    memchr::memrchr(b'\n', b)
}

/// Collects streamed array elements into chunks.
struct ElementSink<'s> {
    input: usize,
    format: InputFormat,
    chunk: Option<Chunk>,
    next_no: u64,
    sink: &'s mut dyn FnMut(ReadEvent) -> bool,
    alive: bool,
    /// Bytes read since the last element ended, shared with the [`ElementGuard`].
    since: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// Fails the read when one array element grows past [`MAX_LINE`]: serde_json buffers a raw
/// element whole, so an endless string would otherwise be held in memory.
struct ElementGuard<R> {
    inner: R,
    since: std::sync::Arc<std::sync::atomic::AtomicU64>,
    max: u64,
}

impl<R: Read> Read for ElementGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::sync::atomic::Ordering::Relaxed;
        let n = self.inner.read(buf)?;
        // The element sink resets the count; serde_json's read-ahead makes this approximate
        // by one buffer, which is well inside the margin of the bound.
        if self.since.fetch_add(n as u64, Relaxed) + n as u64 > self.max {
            return Err(io::Error::other(format!(
                "a JSON element is longer than a sample record can be ({} bytes: a 10 MiB Kinesis record, base64, in JSON)",
                crate::numbers::thousands(self.max)
            )));
        }
        Ok(n)
    }
}

impl ElementSink<'_> {
    fn push(&mut self, raw: &RawValue) -> bool {
        let (input, format) = (self.input, self.format);
        let chunk = self.chunk.get_or_insert_with(|| Chunk {
            input,
            format,
            unit: Unit::Element,
            buf: Vec::with_capacity(1 << 20),
            items: Vec::with_capacity(CHUNK_ELEMENTS),
            first_no: self.next_no,
            ascii_from: usize::MAX,
        });
        let text = raw.get().as_bytes();
        chunk.items.push(Item {
            start: chunk.buf.len() as u32,
            len: text.len() as u32,
        });
        chunk.buf.extend_from_slice(text);
        self.next_no += 1;
        self.since.store(0, std::sync::atomic::Ordering::Relaxed);
        if chunk.items.len() >= CHUNK_ELEMENTS || chunk.buf.len() >= CHUNK_BYTES {
            return self.flush();
        }
        true
    }
    fn flush(&mut self) -> bool {
        if let Some(c) = self.chunk.take()
            && self.alive
        {
            self.alive = (self.sink)(ReadEvent::Chunk(c));
        }
        self.alive
    }
}

/// `[elem, ...]`, every element streamed as raw JSON.
struct ArraySeed<'a, 's>(&'a mut ElementSink<'s>);

impl<'de> DeserializeSeed<'de> for ArraySeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ArraySeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            if !self.0.push(&raw) {
                return Err(de::Error::custom("reader stopped"));
            }
        }
        Ok(())
    }
}

/// `{"Records": [...], ...}` with the records streamed and every other member skipped.
struct RecordsDoc<'a, 's>(&'a mut ElementSink<'s>);

impl<'de> DeserializeSeed<'de> for RecordsDoc<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordsDoc<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a get-records document with `Records`")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if k == "Records" {
                map.next_value_seed(ArraySeed(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(data: &[u8], forced: InputFormat, chunk: usize) -> Vec<ReadEvent> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("in");
        std::fs::write(&p, data).unwrap();
        let mut ev = Vec::new();
        read_inputs(&[p], forced, chunk, &mut |e| {
            ev.push(e);
            true
        });
        ev
    }

    fn items(ev: &[ReadEvent]) -> Vec<(u64, String)> {
        let mut out = Vec::new();
        for e in ev {
            for c in e.chunks() {
                for (i, it) in c.items.iter().enumerate() {
                    out.push((c.no(i), String::from_utf8_lossy(c.bytes(it)).into_owned()));
                }
            }
        }
        out
    }

    #[test]
    fn lines_across_small_chunks_and_crlf() {
        let data = format!(
            "a
bb

ccc{}
d",
            "x".repeat(3000)
        );
        let ev = collect(data.as_bytes(), InputFormat::Auto, 1024);
        assert!(matches!(
            ev[0],
            ReadEvent::Started {
                format: InputFormat::Keys,
                ..
            }
        ));
        let it = items(&ev);
        assert_eq!(it.len(), 5);
        assert_eq!(it[0], (1, "a".into()));
        assert_eq!(it[1], (2, "bb".into()));
        assert_eq!(it[2], (3, "".into()));
        assert!(it[3].1.starts_with("ccc"));
        assert_eq!(it[4], (5, "d".into()));
    }

    fn lines_with_max(data: &[u8], max_line: usize) -> Vec<ReadEvent> {
        let mut ev = Vec::new();
        let mut r = data;
        read_lines_max(0, InputFormat::Keys, &mut r, 1024, max_line, 1, &mut |e| {
            ev.push(e);
            true
        });
        ev
    }

    fn broken(ev: &[ReadEvent]) -> Vec<(u64, String)> {
        ev.iter()
            .filter_map(|e| match e {
                ReadEvent::Broken { no, reason, .. } => Some((*no, reason.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn an_over_long_line_is_reported_and_skipped_and_the_next_lines_kept() {
        let data = format!("a\n{}\nb\n{}", "x".repeat(10_000), "y".repeat(5000));
        let ev = lines_with_max(data.as_bytes(), 4096);
        assert_eq!(items(&ev), vec![(1, "a".into()), (3, "b".into())]);
        let b = broken(&ev);
        assert_eq!(b.len(), 2, "{b:?}");
        assert_eq!(b[0].0, 2);
        assert!(
            b[0].1.starts_with("line of 10,000 bytes is longer"),
            "{}",
            b[0].1
        );
        assert_eq!(b[1].0, 4);
        assert!(b[1].1.starts_with("last line of 5,000 bytes"), "{}", b[1].1);
    }

    #[test]
    fn the_real_bound_skips_a_line_without_holding_it() {
        let mut data = vec![b'k'; MAX_LINE + 10];
        data.extend_from_slice(b"\nnext\n");
        let ev = collect(&data, InputFormat::Auto, 1 << 20);
        assert_eq!(items(&ev), vec![(2, "next".into())]);
        assert_eq!(broken(&ev)[0].0, 1);
    }

    #[test]
    fn a_truncated_gz_keeps_the_lines_read_before_the_error() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut text = String::new();
        for i in 0..200_000 {
            text.push_str(&format!("key-{i}\n"));
        }
        gz.write_all(text.as_bytes()).unwrap();
        let mut data = gz.finish().unwrap();
        data.truncate(data.len() - 20);
        let ev = collect(&data, InputFormat::Auto, 1 << 20);
        let it = items(&ev);
        // Everything but the last few lines, which were in the cut-off bytes.
        assert!(it.len() > 199_000, "{}", it.len());
        assert_eq!(it[it.len() - 1].1, format!("key-{}", it.len() - 1));
        let failed: Vec<&String> = ev
            .iter()
            .filter_map(|e| match e {
                ReadEvent::Failed { message, .. } => Some(message),
                _ => None,
            })
            .collect();
        assert_eq!(failed.len(), 1);
        assert!(
            failed[0].contains(&format!(
                "after line {}",
                crate::numbers::thousands(it.len() as u64)
            )),
            "{}",
            failed[0]
        );
    }

    #[test]
    fn an_endless_array_element_is_refused() {
        let mut data = b"[\"a\", \"".to_vec();
        data.extend(std::iter::repeat_n(b'z', MAX_LINE + (1 << 20)));
        data.extend_from_slice(b"\"]");
        let ev = collect(&data, InputFormat::Payloads, 1 << 20);
        assert_eq!(items(&ev), vec![(1, "\"a\"".into())]);
        let b = broken(&ev);
        assert!(b[0].1.contains("JSON element is longer"), "{}", b[0].1);
    }

    #[test]
    fn a_read_lands_at_its_file_offset_modulo_the_copy_alignment() {
        for dst in [
            0usize,
            1,
            16,
            31,
            32,
            63,
            64,
            4095,
            4096 + 16,
            usize::MAX - 7,
        ] {
            for offset in [0u64, 1, 15, 16, 64, 4095, (2 << 20) - 1, u64::MAX] {
                let pad = copy_pad(dst as *const u8, offset);
                assert!(pad < COPY_ALIGN, "{dst} {offset}");
                let landed = dst.wrapping_add(pad) % COPY_ALIGN;
                assert_eq!(landed, offset as usize % COPY_ALIGN, "{dst} {offset}");
            }
        }
    }

    #[test]
    fn newline_masks_find_what_memchr_finds() {
        // Every length 0..=200 at every start 0..8 (unaligned loads, the tail after the last
        // 64-byte step), with newlines dense, sparse, at the edges and absent.
        let mut data: Vec<u8> = (0..420u32).map(|i| b'a' + (i % 26) as u8).collect();
        for i in [
            0, 1, 31, 32, 33, 63, 64, 65, 127, 128, 150, 151, 152, 199, 207,
        ] {
            data[i] = b'\n';
        }
        data[260..300].fill(b'\n');
        // Non-ASCII bytes in a 64-byte step and in the tail of some of the spans below: the
        // pass also says whether a span is all ASCII.
        let mut high = data.clone();
        high[70] = 0xC3;
        high[200 + 133] = 0x80;
        for from in 0..8 {
            for len in 0..=200 {
                for d in [&data, &high] {
                    for b in [&d[from..from + len], &d[200 + from..200 + from + len]] {
                        let mut got = Vec::new();
                        let ascii = for_each_newline::<true>(b, |i| got.push(i));
                        let mut plain = Vec::new();
                        assert!(!for_each_newline::<false>(b, |i| plain.push(i)));
                        assert_eq!(plain, got);
                        let want: Vec<usize> = memchr::memchr_iter(b'\n', b).collect();
                        assert_eq!(got, want, "from {from}, len {len}");
                        assert_eq!(ascii, b.is_ascii(), "from {from}, len {len}");
                    }
                }
            }
        }
    }

    #[test]
    fn parallel_line_split_equals_a_sequential_one() {
        // Several pieces' worth of lines: CRLF, empty lines, a line across a piece bound, and
        // with and without a final newline; every item and number must equal a plain split.
        let mut data = Vec::new();
        let mut i = 0u64;
        while data.len() < 5 * SPLIT_PIECE + 1000 {
            match i % 7 {
                0 => data.extend_from_slice(b"\r\n"),
                1 => data.extend_from_slice(b"\n"),
                2 => data.extend_from_slice(&vec![b'x'; (i % 300) as usize]),
                _ => data.extend_from_slice(format!("key-{i}\n").as_bytes()),
            }
            i += 1;
        }
        // The same with one non-ASCII byte in the last piece only.
        let mut high = data.clone();
        let at = high.len() - 10;
        high[at] = 0xE9;
        for (buf, cut) in [
            (&data, data.len()),
            (&data, data.len() - 1),
            (&data, SPLIT_PIECE + 3),
            (&high, high.len()),
        ] {
            let buf = &buf[..cut];
            let mut want = Vec::new();
            let want_ascii = split_piece(buf, 0, &mut want, true);
            let (got, ascii) = split_lines(buf, true);
            assert!(!split_lines(buf, false).1, "not asked");
            assert_eq!(
                (ascii, want_ascii),
                (buf.is_ascii(), buf.is_ascii()),
                "cut at {cut}"
            );
            assert!(buf.len() < 2 * SPLIT_PIECE || want.len() > 1000);
            let key = |v: &[Item]| v.iter().map(|x| (x.start, x.len)).collect::<Vec<_>>();
            assert_eq!(key(&got), key(&want), "cut at {cut}");
            // And a plain byte split agrees on the line texts.
            let lines: Vec<&[u8]> = buf
                .split(|&c| c == b'\n')
                .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
                .collect();
            let n = if buf.ends_with(b"\n") {
                lines.len() - 1
            } else {
                lines.len()
            };
            assert_eq!(got.len(), n);
            for (it, l) in got.iter().zip(&lines) {
                assert_eq!(&buf[it.start as usize..(it.start + it.len) as usize], *l);
            }
        }
    }

    /// Every item, bad line and failure of an event list, with chunk boundaries erased.
    /// Items and bad lines (number, text or reason), and failures.
    type Flat = (Vec<(u64, String)>, Vec<(u64, String)>, Vec<String>);

    fn flat(ev: &[ReadEvent]) -> Flat {
        let failed = ev
            .iter()
            .filter_map(|e| match e {
                ReadEvent::Failed { message, .. } => Some(message.clone()),
                _ => None,
            })
            .collect();
        (items(ev), broken(ev), failed)
    }

    #[test]
    fn a_file_read_in_parallel_ranges_equals_the_streamed_read() {
        // Short and empty lines, CRLF, lines across many 1 KiB ranges, with and without a
        // final newline, and an over-long line that hands the rest to the streaming reader.
        let mut data = Vec::new();
        for i in 0..20_000u64 {
            match i % 11 {
                0 => data.extend_from_slice(b"\r\n"),
                1 => data.extend_from_slice(b"\n"),
                2 => data.extend_from_slice(&vec![b'y'; (i % 3000) as usize]),
                3 => data.extend_from_slice(format!("k-{i}\r\n").as_bytes()),
                4 => data
                    .extend_from_slice(format!("{}\n", "y".repeat((i % 5000) as usize)).as_bytes()),
                _ => data.extend_from_slice(format!("key-{i}\n").as_bytes()),
            }
        }
        let long = [
            data.clone(),
            vec![b'z'; MAX_LINE + 5],
            b"\nafter\nend".to_vec(),
        ]
        .concat();
        for d in [
            &data[..],
            &data[..data.len() - 1],
            &long[..],
            b"",
            b"\n",
            b"one",
        ] {
            let ranged = collect(d, InputFormat::Keys, 1024);
            assert!(
                d.len() < 4096 || ranged.iter().any(|e| matches!(e, ReadEvent::Chunks(_))),
                "not read in ranges"
            );
            let mut streamed = Vec::new();
            let mut r = d;
            read_lines(0, InputFormat::Keys, &mut r, 1024, &mut |e| {
                streamed.push(e);
                true
            });
            let (got, want) = (flat(&ranged), flat(&streamed));
            assert_eq!(got.0.len(), want.0.len(), "{} bytes", d.len());
            assert!(got == want, "{} bytes", d.len());
        }
        // The over-long line is reported at its number and the lines after it are kept.
        let (its, bad, _) = flat(&collect(&long, InputFormat::Keys, 1024));
        assert_eq!(bad.len(), 1);
        assert_eq!(data.last(), Some(&b'\n'));
        let lines = data.iter().filter(|&&b| b == b'\n').count() as u64;
        assert_eq!(bad[0].0, lines + 1);
        assert_eq!(its[its.len() - 2], (lines + 2, "after".into()));
    }

    #[test]
    fn a_chunks_text_is_what_a_utf8_check_says_ascii_or_not() {
        // ASCII lines, lines of two- and four-byte characters, and broken UTF-8, across many
        // 1 KiB ranges: the ranges the splitter found ASCII skip the check, the others do not,
        // and both give what `from_utf8` gives, for each line and for a range of lines.
        let mut data = Vec::new();
        for i in 0..8_000u64 {
            match i % 400 {
                5 => data.extend_from_slice("caf\u{e9}-\u{1F697}\n".as_bytes()),
                205 => data.extend_from_slice(b"bad-\xff-\xc3\n"),
                _ => data.extend_from_slice(format!("key-{i}\n").as_bytes()),
            }
        }
        let mut streamed = Vec::new();
        let mut r = &data[..];
        read_lines(0, InputFormat::Keys, &mut r, 1024, &mut |e| {
            streamed.push(e);
            true
        });
        let ranged = collect(&data, InputFormat::Keys, 1024);
        let (mut fast, mut checked) = (0, 0);
        for ev in ranged.iter().chain(&streamed) {
            for c in ev.chunks() {
                let (Some(a), Some(b)) = (c.items.first(), c.items.last()) else {
                    continue;
                };
                let (lo, hi) = (a.start as usize, (b.start + b.len) as usize);
                if lo >= c.ascii_from {
                    fast += 1;
                } else {
                    checked += 1;
                }
                assert_eq!(c.text(lo, hi), std::str::from_utf8(&c.buf[lo..hi]).ok());
                for it in &c.items {
                    let (lo, hi) = (it.start as usize, (it.start + it.len) as usize);
                    assert_eq!(c.text(lo, hi), std::str::from_utf8(c.bytes(it)).ok());
                }
            }
        }
        assert!(
            fast > 10 && checked > 10,
            "{fast} ASCII chunks, {checked} checked"
        );
    }

    /// Keys `k-0`.. one per line, `n` of them, in a plain file and a gzipped one (the
    /// directory goes when dropped).
    fn numbered_keys(n: usize) -> (tempfile::TempDir, PathBuf, PathBuf) {
        use std::io::Write;
        let plain: Vec<u8> = (0..n)
            .flat_map(|i| format!("k-{i}\n").into_bytes())
            .collect();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&plain).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (p, g) = (dir.path().join("plain"), dir.path().join("gz"));
        std::fs::write(&p, &plain).unwrap();
        std::fs::write(&g, gz.finish().unwrap()).unwrap();
        (dir, p, g)
    }

    #[test]
    fn a_sink_that_stops_gets_no_event_after() {
        // The plain reader reads the next round while the sink takes one; the streamed one reads
        // on a thread of its own. Neither may hand over anything once the sink said stop.
        let (_dir, p, g) = numbered_keys(30_000);
        for path in [&p, &g] {
            for stop_at in [1, 2, 3, 5] {
                let mut seen = 0;
                read_inputs(
                    &[path.clone(), p.clone()],
                    InputFormat::Auto,
                    1024,
                    &mut |_| {
                        seen += 1;
                        seen < stop_at
                    },
                );
                assert_eq!(seen, stop_at, "{} stopped at {stop_at}", path.display());
            }
        }
    }

    #[test]
    fn inputs_of_both_readers_come_in_order() {
        // Plain, gzip, plain: every line once, in input order. (From the one worker of the
        // global pool: `tests/reader_one_worker.rs`.)
        // 690 KB: chunks of 512 KiB are split on the pool (at least 2 × `SPLIT_PIECE`).
        let (_dir, p, g) = numbered_keys(100_000);
        let mut got: Vec<(usize, u64, String)> = Vec::new();
        let mut started = Vec::new();
        read_inputs(
            &[p.clone(), g, p],
            InputFormat::Auto,
            512 << 10,
            &mut |ev| {
                if let ReadEvent::Started { input, .. } = ev {
                    started.push(input);
                }
                for c in ev.chunks() {
                    for (i, it) in c.items.iter().enumerate() {
                        let line = String::from_utf8_lossy(c.bytes(it)).into_owned();
                        got.push((c.input, c.no(i), line));
                    }
                }
                true
            },
        );
        let want: Vec<(usize, u64, String)> = (0..3)
            .flat_map(|f| (0..100_000u64).map(move |i| (f, i + 1, format!("k-{i}"))))
            .collect();
        assert_eq!(started, [0, 1, 2]);
        assert!(got == want, "{} items read", got.len());
    }

    #[test]
    fn detects_formats() {
        let f = |d: &[u8]| detect(d, InputFormat::Auto);
        assert_eq!(f(b"TEST-1\n").0, InputFormat::Keys);
        assert_eq!(f(b"\n{\"vin\":1}\n").0, InputFormat::Payloads);
        assert_eq!(
            f(b"{\"topic\":\"a/b\",\"payload\":{}}\n").0,
            InputFormat::Envelopes
        );
        assert_eq!(
            f(b"{\n  \"Records\": [\n"),
            (InputFormat::GetRecords, Layout::Records)
        );
        assert_eq!(f(b"[{\"a\":1}]"), (InputFormat::Payloads, Layout::Array));
        assert_eq!(detect(b"{\"a\":1}", InputFormat::Keys).0, InputFormat::Keys);
        assert_eq!(
            f(b"{\"version\":\"0\",\"detail-type\":\"x\",\"source\":\"s\",\"detail\":{}}\n").0,
            InputFormat::Events
        );
    }

    #[test]
    fn gz_and_arrays_stream() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"[{\"a\":1},\n {\"a\":2} , {\"a\":\"x\"}]")
            .unwrap();
        let data = gz.finish().unwrap();
        let ev = collect(&data, InputFormat::Auto, 1024);
        let it = items(&ev);
        assert_eq!(
            it,
            vec![
                (1, "{\"a\":1}".into()),
                (2, "{\"a\":2}".into()),
                (3, "{\"a\":\"x\"}".into())
            ]
        );
    }

    #[test]
    fn get_records_document_and_broken_json() {
        let doc = b"{\n \"NextShardIterator\": \"x\",\n \"Records\": [\n  {\"PartitionKey\": \"k\", \"Data\": \"e30=\"},\n  {\"PartitionKey\": \"k2\", \"Data\": \"e30=\"},\n  {broken\n ]\n}";
        let ev = collect(doc, InputFormat::Auto, 1024);
        assert_eq!(items(&ev).len(), 2);
        let broken = ev
            .iter()
            .find_map(|e| match e {
                ReadEvent::Broken { no, reason, .. } => Some((*no, reason.clone())),
                _ => None,
            })
            .unwrap();
        assert_eq!(broken.0, 6);
        assert!(
            broken.1.contains("rest of the input is skipped"),
            "{}",
            broken.1
        );
    }
}
