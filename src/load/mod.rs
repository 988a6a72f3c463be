//! Discovery and loading: walks the given paths (gitignore-aware, skipping `.git/`,
//! `.terraform/`, `node_modules/`), reads each file once, sends it to the loader for its format
//! (Terraform by module directory, JSON and YAML by content), and merges everything into one
//! model. A file that cannot be read or parsed becomes an input error; the run goes on.

pub mod apigateway;
pub mod aws_cli;
pub mod cloudformation;
pub mod code;
pub mod embedded;
pub mod event_source;
pub mod json_span;
pub mod plan;
pub mod serverless;
pub mod stepfunctions;
pub mod terraform;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diagnostic::InputError;
use crate::model::Model;
use crate::source::{FileId, SourceDb, Span, display_path};

/// Whether a file is a tool's copy rather than the author's (an installed module under
/// `.terraform/`, a package under `node_modules/`): fixes are not offered there.
pub fn is_installed_copy(path: &Path) -> bool {
    path.components()
        .any(|c| SKIP_DIRS[1..].iter().any(|d| c.as_os_str() == *d))
}

/// The formats' dialects, registered here: how each spells parameters, keys and fixes.
impl crate::model::SourceKind {
    /// Configuration an author writes, so fixes can edit it (not a plan or an export, which
    /// tools generate from it).
    pub fn is_authored(self) -> bool {
        use crate::model::SourceKind as K;
        !matches!(self, K::TerraformPlan | K::Export)
    }
    pub fn dialect(self) -> &'static crate::model::Dialect {
        use crate::model::SourceKind as K;
        match self {
            K::Terraform | K::TerraformPlan => &terraform::DIALECT,
            K::TerraformJson => &terraform::JSON_DIALECT,
            K::CloudFormation => &cloudformation::DIALECT,
            K::Serverless => &serverless::DIALECT,
            K::Export => &aws_cli::DIALECT,
            K::Python => &code::PYTHON_DIALECT,
            K::JavaScript | K::Java | K::Go => &code::SLASH_DIALECT,
            K::Document => &DOCUMENT_DIALECT,
        }
    }
}

impl crate::model::IacTool {
    pub fn dialect(self) -> &'static crate::model::Dialect {
        use crate::model::IacTool as T;
        match self {
            T::Terraform => &terraform::DIALECT,
            T::CloudFormationSub => &cloudformation::DIALECT,
            T::Serverless => &serverless::DIALECT,
        }
    }
}

/// State machine definitions and OpenAPI files: JSON or YAML edited by hand or by a designer;
/// no fixes are offered in them.
static DOCUMENT_DIALECT: std::sync::LazyLock<crate::model::Dialect> =
    std::sync::LazyLock::new(|| crate::model::Dialect {
        line_comment: crate::model::hash_comment,
        ..code::dialect("#")
    });

/// A state machine definition or an OpenAPI document with Kinesis integrations, read on its
/// own (not through a template or Terraform resource that includes it).
fn document(db: &SourceDb, id: FileId, root: &json_span::Node) -> Option<Model> {
    let origin = crate::model::Origin {
        kind: crate::model::SourceKind::Document,
        address: db.get(id).display_name(),
        span: Span::new(id, 0, 0),
        module: db.get(id).display_name(),
    };
    let known = |name: &str, span: Span, path: String| {
        (
            crate::model::Val::known(name.to_string(), Some(span), path),
            None,
        )
    };
    let producers = if stepfunctions::is_definition(root) {
        let place = stepfunctions::Place {
            db,
            text: None,
            origin,
            path: String::new(),
            example: None,
        };
        stepfunctions::producers(root, &place, &known)
    } else if apigateway::is_openapi(root) {
        apigateway::openapi_producers(db, root, &origin, "", &known)
    } else {
        return None;
    };
    // A definition without Kinesis tasks is not ours (skipped like any other JSON).
    (!producers.is_empty()).then(|| Model {
        producers,
        ..Model::default()
    })
}

/// Larger files are reported rather than read (CloudFormation caps templates at 1 MB; exports of
/// thousands of shards stay far below this).
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Directories never worth reading, even outside a git repository.
const SKIP_DIRS: [&str; 3] = [".git", ".terraform", "node_modules"];

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Kind {
    Terraform,
    TfVars,
    Json,
    Yaml,
    /// Application source code; read only when it mentions Kinesis.
    Code(code::Lang),
}

fn kind_of(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_str()?;
    if let Some(is_vars) = terraform::file_role(name) {
        Some(if is_vars {
            Kind::TfVars
        } else {
            Kind::Terraform
        })
    } else if name.ends_with(".json") {
        Some(Kind::Json)
    } else if name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".template") {
        Some(Kind::Yaml)
    } else {
        code::lang_of(name).map(Kind::Code)
    }
}

/// Options for discovery.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Also read files that `.gitignore`/`.ignore` exclude, and hidden ones.
    pub no_ignore: bool,
    /// Skip given files that shardlint does not read (other `.tfvars`, JSON/YAML that is no
    /// template, plan or export) instead of reporting them: pre-commit passes every changed file
    /// that matches the hook's pattern.
    pub skip_unknown: bool,
    /// Text that replaces a file's content on disk (the language server's open buffers).
    pub overlay: std::sync::Arc<std::collections::HashMap<PathBuf, String>>,
}

/// What loading produced.
#[derive(Debug, Default)]
pub struct Loaded {
    pub db: SourceDb,
    pub model: Model,
    pub errors: Vec<InputError>,
    /// When single files were given (pre-commit), findings are reported only in these files;
    /// their module siblings are read for context. `None`: report everywhere.
    pub report_only: Option<HashSet<FileId>>,
    /// Files read but not recognised (JSON/YAML that is none of ours); not counted as checked.
    pub skipped: HashSet<FileId>,
    /// Said once per run on stderr (remote modules not read).
    pub notes: Vec<String>,
}

struct Found {
    path: PathBuf,
    kind: Kind,
    /// Named on the command line (not only found under a directory).
    explicit: bool,
}

/// Finds, reads and loads everything under `paths`.
pub fn load_paths(paths: &[PathBuf], opts: &LoadOptions) -> Loaded {
    let mut loaded = Loaded::default();
    let mut found: Vec<Found> = Vec::new();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut explicit_files: HashSet<PathBuf> = HashSet::new();
    let mut any_dir = false;

    // Directories given, with how many files of ours their walk found.
    let mut roots: Vec<(PathBuf, usize)> = Vec::new();
    for p in paths {
        if p.is_dir() {
            any_dir = true;
            let mut count = 0;
            let unreadable = walk(p, opts, &mut |path, regular| {
                let Some(kind) = kind_of(&path) else { return };
                if !regular {
                    // A FIFO or device named like ours: say so rather than skip it.
                    if matches!(kind, Kind::Terraform | Kind::TfVars) {
                        loaded.errors.push(not_regular(&path));
                    }
                    return;
                }
                count += 1;
                if seen.insert(path.clone()) {
                    found.push(Found {
                        path,
                        kind,
                        explicit: false,
                    });
                }
            });
            loaded.errors.extend(unreadable);
            roots.push((p.clone(), count));
        } else if p.is_file() {
            let kind = kind_of(p);
            explicit_files.insert(p.clone());
            if let Some(kind) = kind {
                if seen.insert(p.clone()) {
                    found.push(Found {
                        path: p.clone(),
                        kind,
                        explicit: true,
                    });
                }
                // A changed `main.tf` needs its `variables.tf`: read the module's other files.
                if matches!(kind, Kind::Terraform | Kind::TfVars) {
                    let dir = p.parent().filter(|d| !d.as_os_str().is_empty());
                    let dir = dir.unwrap_or(Path::new("."));
                    let (siblings, refused) = module_siblings(dir);
                    loaded.errors.extend(refused);
                    for sib in siblings {
                        if seen.insert(sib.clone())
                            && let Some(kind) = kind_of(&sib)
                        {
                            found.push(Found {
                                path: sib,
                                kind,
                                explicit: false,
                            });
                        }
                    }
                }
            } else if !opts.skip_unknown {
                loaded.errors.push(InputError {
                    meta: &crate::diagnostic::INPUT_PARSE_ERROR,
                    file: display_path(p),
                    span: None,
                    message: "not a file shardlint reads (expected `.tf`, `.tfvars`, `.json`, `.yaml` or `.yml`)".into(),
                    help: Some("pass Terraform, CloudFormation/SAM or AWS CLI export files, or a directory".into()),
                });
            }
        } else {
            loaded.errors.push(match std::fs::metadata(p) {
                Ok(_) => not_regular(p),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => InputError {
                    meta: &crate::diagnostic::INPUT_PARSE_ERROR,
                    file: display_path(p),
                    span: None,
                    message: "no such file or directory".into(),
                    help: None,
                },
                Err(e) => InputError {
                    meta: &crate::diagnostic::INPUT_PARSE_ERROR,
                    file: display_path(p),
                    span: None,
                    message: format!("cannot read: {e}"),
                    help: None,
                },
            });
        }
    }
    // Deterministic order whatever the walk order was.
    found.sort_by(|a, b| a.path.cmp(&b.path));

    // Source code is read in parallel and kept only when it mentions Kinesis: in a large
    // monorepo almost every file is dropped here, before any parsing.
    let code_text: Vec<Option<String>> = found
        .par_iter()
        .map(|f| match f.kind {
            Kind::Code(_) => match opts.overlay.get(&f.path) {
                Some(text) => code::mentions_kinesis(text.as_bytes()).then(|| text.clone()),
                None => read_code(&f.path),
            },
            _ => None,
        })
        .collect();

    // Read every file once.
    let mut files: Vec<(FileId, Kind, bool)> = Vec::new();
    for (f, code_text) in found.iter().zip(code_text) {
        let read = match (f.kind, code_text) {
            (Kind::Code(_), Some(text)) => Ok(Some(text)),
            (Kind::Code(_), None) => continue,
            _ => match opts.overlay.get(&f.path) {
                Some(text) => Ok(Some(text.clone())),
                None => read_file(&f.path, f.kind, f.explicit),
            },
        };
        match read {
            Ok(Some(text)) => {
                let id = loaded.db.add(f.path.clone(), text);
                files.push((id, f.kind, f.explicit));
            }
            Ok(None) => {}
            Err(e) => {
                let (mut error, text) = *e;
                // A position for errors found while reading (non-UTF-8 bytes): add the text so
                // renderers can show the line.
                if let Some((text, offset)) = text {
                    let id = loaded.db.add(f.path.clone(), text);
                    error.span = Some(Span::new(id, offset, offset));
                }
                loaded.errors.push(error);
            }
        }
    }
    if !any_dir && !explicit_files.is_empty() {
        let ids: HashSet<FileId> = files
            .iter()
            .filter(|(id, _, _)| explicit_files.contains(&loaded.db.get(*id).path))
            .map(|(id, _, _)| *id)
            .collect();
        loaded.report_only = Some(ids);
    }

    // Terraform: one unit per directory, then the module directories that calls point at.
    let mut modules: BTreeMap<PathBuf, (Vec<FileId>, Vec<FileId>)> = BTreeMap::new();
    let mut others: Vec<(FileId, Kind, bool)> = Vec::new();
    for &(id, kind, explicit) in &files {
        let path = &loaded.db.get(id).path;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        match kind {
            Kind::Terraform => modules.entry(dir).or_default().0.push(id),
            Kind::TfVars => modules.entry(dir).or_default().1.push(id),
            _ => others.push((id, kind, explicit)),
        }
    }
    let mut project = terraform::Project::default();
    project.add_dirs(
        &loaded.db,
        modules
            .into_iter()
            .filter(|(_, (tf, _))| !tf.is_empty())
            .map(|(dir, (tf, vars))| (dir, tf, vars))
            .collect(),
    );
    loop {
        let wanted = project.wanted();
        if wanted.is_empty() {
            break;
        }
        let mut dirs = Vec::new();
        for dir in wanted {
            // A called module's own tfvars are not read by Terraform: only its `.tf` files.
            let mut tf = Vec::new();
            let (paths, refused) = module_siblings(&dir);
            loaded.errors.extend(refused);
            for path in paths {
                if kind_of(&path) != Some(Kind::Terraform) || seen.contains(&path) {
                    continue;
                }
                match read_file(&path, Kind::Terraform, false) {
                    Ok(Some(text)) => tf.push(loaded.db.add(path, text)),
                    Ok(None) => {}
                    Err(e) => loaded.errors.push(e.0),
                }
            }
            if !tf.is_empty() {
                dirs.push((dir, tf, Vec::new()));
            }
        }
        project.add_dirs(&loaded.db, dirs);
    }
    let db = &loaded.db;
    let evaluated = project.evaluate(db);
    loaded.errors.append(&mut project.errors);
    let other_results: Vec<(FileId, Result<Option<Model>, InputError>)> = others
        .par_iter()
        .map(|&(id, kind, explicit)| {
            // `--skip-unknown`: a given JSON/YAML file that is none of ours is skipped, not an error.
            let must_recognise = explicit && !opts.skip_unknown;
            (id, load_structured(db, id, kind, must_recognise))
        })
        .collect();
    loaded.model.extend(evaluated.model);
    loaded.errors.extend(evaluated.errors);
    loaded.notes.extend(evaluated.notes);
    // A file another one includes (Serverless `${file(...)}`) was read as part of it.
    // (Terraform's `file()` of a state machine definition too.)
    let included: HashSet<PathBuf> = other_results
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok().and_then(|m| m.as_ref()))
        .flat_map(|m| m.included.iter())
        .chain(loaded.model.included.iter())
        .map(|p| normalize_path(p))
        .collect();
    for (id, r) in other_results {
        let r = r.map(|m| {
            m.map(|mut m| {
                fill_key_literals(db, &mut m);
                m
            })
        });
        match r {
            Ok(Some(_)) if included.contains(&normalize_path(&db.get(id).path)) => {}
            Ok(Some(model)) => loaded.model.extend(model),
            Ok(None) => {
                loaded.skipped.insert(id);
            }
            Err(e) => loaded.errors.push(e),
        }
    }
    // A directory given that yields no file at all is an input problem, not a clean run.
    for (root, count) in roots {
        let read = loaded
            .db
            .files()
            .any(|(id, f)| f.path.starts_with(&root) && !loaded.skipped.contains(&id));
        if !read {
            loaded.errors.push(nothing_found(&root, count, opts));
        }
    }
    loaded
}

/// The error for a directory given on the command line in which nothing was read, saying
/// what the walk left out and why.
fn nothing_found(root: &Path, recognised: usize, opts: &LoadOptions) -> InputError {
    let mut message = "no Terraform, CloudFormation/SAM, plan or export file found".to_string();
    let mut help = None;
    if recognised > 0 {
        message.push_str(&format!(
            ": {} JSON/YAML {} read, none of them a template, plan or export",
            crate::numbers::thousands(recognised as u64),
            if recognised == 1 {
                "file was"
            } else {
                "files were"
            }
        ));
    } else if !opts.no_ignore {
        // Walk again without the ignore rules to tell what they excluded.
        let mut ignored: Vec<PathBuf> = Vec::new();
        let all = LoadOptions {
            no_ignore: true,
            ..opts.clone()
        };
        // Unreadable directories were reported by the first walk.
        let _ = walk(root, &all, &mut |path, regular| {
            if regular && kind_of(&path).is_some() {
                ignored.push(path);
            }
        });
        if let Some(first) = ignored.first() {
            message.push_str(&format!(
                ": {} {} skipped by `.gitignore`/`.ignore` rules (also those of parent directories) or as hidden, e.g. `{}`",
                crate::numbers::thousands(ignored.len() as u64),
                if ignored.len() == 1 { "file was" } else { "files were" },
                display_path(first)
            ));
            help = Some("`--no-ignore` reads ignored and hidden files too".to_string());
        }
    }
    InputError {
        meta: &crate::diagnostic::INPUT_PARSE_ERROR,
        file: display_path(root),
        span: None,
        message,
        help,
    }
}

/// A path that exists but is no regular file or directory: say what it is.
fn not_regular(p: &Path) -> InputError {
    use std::os::unix::fs::FileTypeExt;
    let what = match std::fs::metadata(p).map(|m| m.file_type()) {
        Ok(t) if t.is_fifo() => "a named pipe (FIFO)",
        Ok(t) if t.is_socket() => "a socket",
        Ok(t) if t.is_char_device() => "a character device",
        Ok(t) if t.is_block_device() => "a block device",
        _ => "not a regular file",
    };
    InputError {
        meta: &crate::diagnostic::INPUT_PARSE_ERROR,
        file: display_path(p),
        span: None,
        message: format!("is {what}, not a regular file; shardlint reads files and directories"),
        help: Some("for samples on a pipe, use `--samples -` with stdin".into()),
    }
}

/// JSON and YAML are recognised by content: a plan, an AWS CLI export, or a template.
fn load_structured(
    db: &SourceDb,
    id: FileId,
    kind: Kind,
    explicit: bool,
) -> Result<Option<Model>, InputError> {
    if let Kind::Code(lang) = kind {
        return Ok(Some(Model {
            producers: code::load(db, id, lang),
            ..Model::default()
        }));
    }
    // Parsed once, then offered to each format's recogniser in turn.
    let text = &db.get(id).text;
    let result = if matches!(kind, Kind::Json) || text.trim_start().starts_with('{') {
        match json_span::parse_for(
            db,
            id,
            &[
                &plan::FORMAT,
                &aws_cli::FORMAT,
                &serverless::FORMAT,
                &cloudformation::FORMAT,
            ],
        )? {
            None => Ok(None),
            Some(root) => match plan::from_root(db, id, &root)? {
                Some(m) => Ok(Some(m)),
                None => match aws_cli::from_root(db, id, &root)? {
                    Some(m) => Ok(Some(m)),
                    None => Ok(serverless::from_root(db, id, &root)
                        .or_else(|| cloudformation::from_root(db, id, &root))
                        .or_else(|| document(db, id, &root))),
                },
            },
        }
    } else {
        cloudformation::parse_yaml(db, id, &[&serverless::FORMAT, &cloudformation::FORMAT]).map(
            |root| {
                root.and_then(|root| {
                    serverless::from_root(db, id, &root)
                        .or_else(|| cloudformation::from_root(db, id, &root))
                        .or_else(|| document(db, id, &root))
                })
            },
        )
    };
    match result {
        Ok(None) if explicit => Err(InputError {
            meta: &crate::diagnostic::INPUT_PARSE_ERROR,
            file: db.get(id).display_name(),
            span: None,
            message:
                "not a Terraform plan, AWS CLI export, Serverless file or CloudFormation template shardlint reads"
                    .into(),
            help: Some("see `shardlint --help` for the formats shardlint reads".into()),
        }),
        r => r,
    }
}

/// A source file's text when it mentions Kinesis and is UTF-8 of a sane size; anything else is
/// not one of ours (source code is only ours when it writes to Kinesis).
fn read_code(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > MAX_FILE_BYTES {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    if !code::mentions_kinesis(&bytes) {
        return None;
    }
    String::from_utf8(bytes).ok()
}

type ReadError = Box<(InputError, Option<(String, usize)>)>;

/// Reads a file as UTF-8. `Ok(None)`: skip silently (a non-Terraform file found by the walk that
/// is not text). Binary, empty, non-UTF-8 and oversized files of a kind shardlint reads are errors.
fn read_file(path: &Path, kind: Kind, explicit: bool) -> Result<Option<String>, ReadError> {
    let err = |message: String, help: Option<&str>| InputError {
        meta: &crate::diagnostic::INPUT_PARSE_ERROR,
        file: display_path(path),
        span: None,
        message,
        help: help.map(str::to_string),
    };
    // Only Terraform is recognised by name alone; JSON/YAML found by the walk are ours only if
    // their content says so, so unreadable ones are skipped unless named explicitly.
    let must_report = explicit || matches!(kind, Kind::Terraform | Kind::TfVars);
    let meta = std::fs::metadata(path).map_err(|e| Box::new((err(e.to_string(), None), None)))?;
    if meta.len() > MAX_FILE_BYTES {
        return if must_report {
            Err(Box::new((
                err(
                    format!(
                        "file is {} bytes, above the {} MiB limit",
                        meta.len(),
                        MAX_FILE_BYTES >> 20
                    ),
                    None,
                ),
                None,
            )))
        } else {
            Ok(None)
        };
    }
    let bytes = std::fs::read(path).map_err(|e| Box::new((err(e.to_string(), None), None)))?;
    let bytes = match decode_bom(&bytes) {
        Decoded::Text(text) => return Ok(Some(text)),
        Decoded::Invalid { text, offset, what } => {
            return if must_report {
                Err(Box::new((
                    err(what, Some("save the file as UTF-8")),
                    Some((text, offset)),
                )))
            } else {
                Ok(None)
            };
        }
        Decoded::Utf8(b) => b,
    };
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        return if must_report {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let offset = String::from_utf8_lossy(&bytes[..nul]).len();
            Err(Box::new((
                err(
                    "binary file (contains NUL bytes), not text".into(),
                    Some("remove it or rename it so it does not end in `.tf`"),
                ),
                Some((text, offset)),
            )))
        } else {
            Ok(None)
        };
    }
    // Empty and whitespace-only files are valid (an empty `outputs.tf` is a common placeholder).
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Some(text.to_string())),
        Err(e) if must_report => {
            let valid = e.valid_up_to();
            // Keep the valid prefix so the position can be shown with its line.
            let text = String::from_utf8_lossy(bytes).into_owned();
            let offset = String::from_utf8_lossy(&bytes[..valid]).len();
            Err(Box::new((
                err(
                    format!("not valid UTF-8 (invalid byte `0x{:02x}`)", bytes[valid]),
                    Some("save the file as UTF-8"),
                ),
                Some((text, offset)),
            )))
        }
        Err(_) => Ok(None),
    }
}

enum Decoded<'a> {
    /// No byte-order mark, or a UTF-8 one (stripped): still to be checked as UTF-8.
    Utf8(&'a [u8]),
    /// UTF-16 with a byte-order mark, decoded.
    Text(String),
    /// UTF-16 that does not decode: the text up to the problem and its offset.
    Invalid {
        text: String,
        offset: usize,
        what: String,
    },
}

/// Honours a byte-order mark: UTF-8's is dropped (editors on Windows write it), UTF-16 (LE or
/// BE) is decoded. Spans are offsets into the decoded text, so lines and columns are the ones an
/// editor shows.
fn decode_bom(bytes: &[u8]) -> Decoded<'_> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return Decoded::Utf8(rest);
    }
    let le = match bytes {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => return Decoded::Utf8(bytes),
    };
    let body = &bytes[2..];
    let units = body.chunks(2).map(|c| match (c, le) {
        ([a, b], true) => u16::from_le_bytes([*a, *b]),
        ([a, b], false) => u16::from_be_bytes([*a, *b]),
        // An odd trailing byte: not UTF-16.
        _ => 0xDC00,
    });
    let mut text = String::with_capacity(body.len() / 2);
    for c in char::decode_utf16(units) {
        match c {
            Ok('\0') | Err(_) => {
                let offset = text.len();
                return Decoded::Invalid {
                    what: "not valid UTF-16 (an unpaired surrogate, a NUL or an odd byte)".into(),
                    text,
                    offset,
                };
            }
            Ok(c) => text.push(c),
        }
    }
    Decoded::Text(text)
}

/// Calls `f` for every file under `root` with whether it is a regular file (symlinks are not
/// followed, as ripgrep does); returns the directories (and entries) that could not be read, as
/// input errors: a directory shardlint cannot list may hide files of ours.
fn walk(root: &Path, opts: &LoadOptions, f: &mut dyn FnMut(PathBuf, bool)) -> Vec<InputError> {
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .hidden(!opts.no_ignore)
        .git_ignore(!opts.no_ignore)
        .ignore(!opts.no_ignore)
        .git_exclude(!opts.no_ignore)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|e| {
            !(e.file_type().is_some_and(|t| t.is_dir())
                && e.file_name()
                    .to_str()
                    .is_some_and(|n| SKIP_DIRS.contains(&n)))
        });
    let mut errors = Vec::new();
    for entry in builder.build() {
        match entry {
            Ok(entry) => match entry.file_type() {
                Some(t) if t.is_file() => f(entry.into_path(), true),
                Some(t) if !t.is_dir() && !t.is_symlink() => f(entry.into_path(), false),
                _ => {}
            },
            Err(e) => {
                let path = walk_error_path(&e).unwrap_or_else(|| root.to_path_buf());
                let reason = walk_error_reason(&e);
                errors.push(InputError {
                    meta: &crate::diagnostic::INPUT_PARSE_ERROR,
                    file: display_path(&path),
                    span: None,
                    message: format!("cannot read this directory: {reason}"),
                    help: Some("fix its permissions, or exclude it in `.ignore`".into()),
                });
            }
        }
    }
    errors
}

fn walk_error_path(e: &ignore::Error) -> Option<PathBuf> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_path(err)
        }
        _ => None,
    }
}

fn walk_error_reason(e: &ignore::Error) -> String {
    match e {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => walk_error_reason(err),
        ignore::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    }
}

/// The Terraform files beside a given one, read for context: regular files of the module
/// directory, and symlinks only when they resolve inside the checked tree (the current directory,
/// or the module directory when that is outside it). A symlink elsewhere (`env.tf ->
/// /proc/self/environ`) is reported, never read.
fn module_siblings(dir: &Path) -> (Vec<PathBuf>, Vec<InputError>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return (Vec::new(), Vec::new());
    };
    let canon_dir = std::fs::canonicalize(dir).ok();
    let tree = std::env::current_dir()
        .ok()
        .and_then(|c| std::fs::canonicalize(c).ok())
        .filter(|c| canon_dir.as_ref().is_some_and(|d| d.starts_with(c)))
        .or(canon_dir);
    let mut out = Vec::new();
    let mut refused = Vec::new();
    for e in rd.flatten() {
        let p = e.path();
        if !matches!(kind_of(&p), Some(Kind::Terraform | Kind::TfVars)) {
            continue;
        }
        let Ok(t) = e.file_type() else { continue };
        let ok = if t.is_file() {
            true
        } else if t.is_symlink() {
            let target = std::fs::canonicalize(&p).ok();
            let inside = matches!((&target, &tree), (Some(t), Some(root)) if t.starts_with(root));
            let regular = std::fs::metadata(&p).is_ok_and(|m| m.is_file());
            if !(inside && regular) {
                refused.push(InputError {
                    meta: &crate::diagnostic::INPUT_PARSE_ERROR,
                    file: display_path(&p),
                    span: None,
                    message: match &target {
                        Some(t) if !inside => format!(
                            "symlink to `{}`, outside the checked tree: not read",
                            display_path(t)
                        ),
                        Some(_) => {
                            "symlink to something other than a regular file: not read".into()
                        }
                        None => "broken symlink: not read".into(),
                    },
                    help: Some(
                        "check the module's directory instead, or replace the link with the file"
                            .into(),
                    ),
                });
            }
            inside && regular
        } else {
            false
        };
        if ok {
            // Keep paths in the same form as the given one (`./x` vs `x`).
            out.push(if dir == Path::new(".") {
                PathBuf::from(p.file_name().unwrap_or_default())
            } else {
                p
            });
        }
    }
    out.sort();
    (out, refused)
}

/// `a/./b/../c` → `a/c`, lexically (paths as given, no file system access).
pub fn normalize_path(p: &Path) -> PathBuf {
    terraform::normalize(p)
}

/// Where a key is written directly (no variable or parameter in between), offsets inside the
/// template map onto the file: record that for loaders that do not do it themselves.
fn fill_key_literals(db: &SourceDb, model: &mut Model) {
    for rule in &mut model.rules {
        for a in &mut rule.actions {
            let k = &a.partition_key;
            if a.key_literal.is_some() || !k.via.is_empty() {
                continue;
            }
            if let (Some(span), Some(text)) = (k.span, k.get()) {
                let verbatim_ok = db.text(span) == text.as_str();
                if k.escapes != crate::source::Escapes::Verbatim || verbatim_ok {
                    a.key_literal = Some((span, k.escapes));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::SourceKind;

    #[test]
    fn each_format_spells_parameters_its_way() {
        let p = |k: SourceKind, api| (k.dialect().param)(api);
        assert_eq!(p(SourceKind::Terraform, "BatchSize"), "batch_size");
        assert_eq!(
            p(SourceKind::Terraform, "MaximumRetryAttempts"),
            "maximum_retry_attempts"
        );
        assert_eq!(p(SourceKind::TerraformJson, "BatchSize"), "batch_size");
        assert_eq!(p(SourceKind::CloudFormation, "BatchSize"), "BatchSize");
        assert_eq!(p(SourceKind::Serverless, "BatchSize"), "batchSize");
        assert_eq!(
            p(SourceKind::Serverless, "MaximumBatchingWindowInSeconds"),
            "batchWindow"
        );
        assert_eq!(p(SourceKind::Export, "BatchSize"), "BatchSize");
    }
}
