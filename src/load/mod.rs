//! Discovery and loading: walks the given paths (gitignore-aware, skipping `.git/`,
//! `.terraform/`, `node_modules/`), reads each file once, sends it to the loader for its format
//! (Terraform by module directory, JSON and YAML by content), and merges everything into one
//! model. A file that cannot be read or parsed becomes an input error; the run goes on.

pub mod aws_cli;
pub mod cloudformation;
pub mod event_source;
pub mod json_span;
pub mod plan;
pub mod terraform;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diagnostic::InputError;
use crate::model::Model;
use crate::source::{FileId, SourceDb, Span, display_path};

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
}

fn kind_of(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_str()?;
    if name.ends_with(".tf") {
        Some(Kind::Terraform)
    } else if name == "terraform.tfvars" || name.ends_with(".auto.tfvars") {
        Some(Kind::TfVars)
    } else if name.ends_with(".json") {
        Some(Kind::Json)
    } else if name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".template") {
        Some(Kind::Yaml)
    } else {
        None
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

    for p in paths {
        if p.is_dir() {
            any_dir = true;
            walk(p, opts, &mut |path| {
                if let Some(kind) = kind_of(&path)
                    && seen.insert(path.clone())
                {
                    found.push(Found {
                        path,
                        kind,
                        explicit: false,
                    });
                }
            });
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
                    for sib in module_siblings(dir) {
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
                    code: "SL001",
                    file: display_path(p),
                    span: None,
                    message: "not a file shardlint reads (expected `.tf`, `.tfvars`, `.json`, `.yaml` or `.yml`)".into(),
                    help: Some("pass Terraform, CloudFormation/SAM or AWS CLI export files, or a directory".into()),
                });
            }
        } else {
            loaded.errors.push(InputError {
                code: "SL001",
                file: display_path(p),
                span: None,
                message: "no such file or directory".into(),
                help: None,
            });
        }
    }
    // Deterministic order whatever the walk order was.
    found.sort_by(|a, b| a.path.cmp(&b.path));

    // Read every file once.
    let mut files: Vec<(FileId, Kind, bool)> = Vec::new();
    for f in &found {
        match read_file(&f.path, f.kind, f.explicit) {
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

    // Terraform: one unit per directory.
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
    let db = &loaded.db;
    let tf_results: Vec<(Model, Vec<InputError>)> = modules
        .par_iter()
        .filter(|(_, (tf, _))| !tf.is_empty())
        .map(|(dir, (tf, vars))| {
            let dir = display_path(dir);
            let dir = if dir.is_empty() { ".".into() } else { dir };
            terraform::load_module(db, &dir, tf, vars)
        })
        .collect();
    let other_results: Vec<(FileId, Result<Option<Model>, InputError>)> = others
        .par_iter()
        .map(|&(id, kind, explicit)| {
            // `--skip-unknown`: a given JSON/YAML file that is none of ours is skipped, not an error.
            let must_recognise = explicit && !opts.skip_unknown;
            (id, load_structured(db, id, kind, must_recognise))
        })
        .collect();
    for (model, errors) in tf_results {
        loaded.model.extend(model);
        loaded.errors.extend(errors);
    }
    for (id, r) in other_results {
        let r = r.map(|m| {
            m.map(|mut m| {
                fill_key_literals(db, &mut m);
                m
            })
        });
        match r {
            Ok(Some(model)) => loaded.model.extend(model),
            Ok(None) => {
                loaded.skipped.insert(id);
            }
            Err(e) => loaded.errors.push(e),
        }
    }
    loaded
}

/// JSON and YAML are recognised by content: a plan, an AWS CLI export, or a template.
fn load_structured(
    db: &SourceDb,
    id: FileId,
    kind: Kind,
    explicit: bool,
) -> Result<Option<Model>, InputError> {
    let result = match kind {
        // Parsed once, then offered to each JSON format in turn.
        Kind::Json => {
            match json_span::parse_for(
                db,
                id,
                &[&plan::FORMAT, &aws_cli::FORMAT, &cloudformation::FORMAT],
            )? {
                None => Ok(None),
                Some(root) => match plan::from_root(db, id, &root)? {
                    Some(m) => Ok(Some(m)),
                    None => match aws_cli::from_root(db, id, &root)? {
                        Some(m) => Ok(Some(m)),
                        None => Ok(cloudformation::from_root(db, id, &root)),
                    },
                },
            }
        }
        _ => cloudformation::load(db, id),
    };
    match result {
        Ok(None) if explicit => Err(InputError {
            code: "SL001",
            file: db.get(id).display_name(),
            span: None,
            message:
                "not a Terraform plan, AWS CLI export or CloudFormation template shardlint reads"
                    .into(),
            help: Some("see `shardlint --help` for the formats shardlint reads".into()),
        }),
        r => r,
    }
}

type ReadError = Box<(InputError, Option<(String, usize)>)>;

/// Reads a file as UTF-8. `Ok(None)`: skip silently (a non-Terraform file found by the walk that
/// is not text). Binary, empty, non-UTF-8 and oversized files of a kind shardlint reads are errors.
fn read_file(path: &Path, kind: Kind, explicit: bool) -> Result<Option<String>, ReadError> {
    let err = |message: String, help: Option<&str>| InputError {
        code: "SL001",
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
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        return if must_report {
            let text = String::from_utf8_lossy(&bytes).into_owned();
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
    match String::from_utf8(bytes) {
        Ok(text) => {
            if text.trim().is_empty() && must_report {
                return Err(Box::new((
                    err(
                        "file is empty".into(),
                        Some("delete the file or give it content"),
                    ),
                    Some((text, 0)),
                )));
            }
            Ok(Some(text))
        }
        Err(e) if must_report => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            // Keep the valid prefix so the position can be shown with its line.
            let text = String::from_utf8_lossy(&bytes).into_owned();
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

fn walk(root: &Path, opts: &LoadOptions, f: &mut dyn FnMut(PathBuf)) {
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
    for entry in builder.build().flatten() {
        if entry.file_type().is_some_and(|t| t.is_file()) {
            f(entry.into_path());
        }
    }
}

fn module_siblings(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && matches!(kind_of(p), Some(Kind::Terraform | Kind::TfVars)))
        .map(|p| {
            // Keep paths in the same form as the given one (`./x` vs `x`).
            if dir == Path::new(".") {
                PathBuf::from(p.file_name().unwrap_or_default())
            } else {
                p
            }
        })
        .collect();
    out.sort();
    out
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
