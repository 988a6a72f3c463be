//! Module loading: parses the files of one Terraform module directory (`.tf` with hcl-edit,
//! `.tf.json` through [`super::json`], `terraform.tfvars`/`*.auto.tfvars`/`*.tfvars.json`) once and
//! records what they declare — variables, locals, outputs, resources and module calls — for the
//! evaluator. Nothing here evaluates an expression.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use hcl_edit::Span as _;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body};

use crate::diagnostic::InputError;
use crate::source::{FileId, SourceDb, Span};

use super::json::SpanMap;

/// A definition whose expression is evaluated on demand.
#[derive(Clone, Debug)]
pub(super) struct Def {
    pub file: FileId,
    pub expr: Expression,
    /// For messages: "the default of variable `x`", "local `y`".
    pub what: String,
}

#[derive(Clone, Debug)]
pub(super) struct VarDecl {
    pub default: Option<Def>,
}

#[derive(Clone, Debug)]
pub(super) struct ResDecl {
    pub ty: String,
    pub name: String,
    pub file: FileId,
    pub block: Block,
}

/// A `module "name" { source = ... }` block.
#[derive(Clone, Debug)]
pub(super) struct CallDecl {
    pub name: String,
    pub file: FileId,
    pub block: Block,
    /// The `source` string when it is a literal.
    pub source: Option<String>,
    pub header: Span,
}

impl CallDecl {
    /// `./x` or `../x`: a module in this repository.
    pub fn local_source(&self) -> Option<&str> {
        self.source
            .as_deref()
            .filter(|s| s.starts_with("./") || s.starts_with("../"))
    }
}

/// Everything declared in one module directory.
#[derive(Debug, Default)]
pub(super) struct ModuleDecl {
    /// The directory as the files' paths spell it (`fixtures/x/modules/y`, or `.`).
    pub dir: PathBuf,
    pub display: String,
    pub variables: HashMap<String, VarDecl>,
    pub tfvars: HashMap<String, Def>,
    pub locals: HashMap<String, Def>,
    /// Declaration order, for deterministic evaluation and diagnostics.
    pub local_order: Vec<String>,
    pub outputs: HashMap<String, Def>,
    pub resources: Vec<ResDecl>,
    pub calls: Vec<CallDecl>,
    /// Offsets of `.tf.json` files: the HCL the evaluator sees is a rendering of the JSON.
    pub maps: HashMap<FileId, SpanMap>,
    /// The text the spans of `maps` files refer to before mapping.
    pub rendered: HashMap<FileId, String>,
}

impl ModuleDecl {
    /// A byte range of the parsed text of `file` as a span of the file on disk.
    pub fn span(&self, file: FileId, r: Range<usize>) -> Span {
        match self.maps.get(&file) {
            Some(m) => {
                let (s, e) = m.map_range(r.start, r.end);
                Span::new(file, s, e)
            }
            None => Span::new(file, r.start, r.end),
        }
    }

    /// The source text of an expression as parsed (HCL, also for `.tf.json` files).
    pub fn text<'d>(&'d self, db: &'d SourceDb, file: FileId, expr: &Expression) -> String {
        let Some(r) = expr.span() else {
            return String::new();
        };
        let text = match self.rendered.get(&file) {
            Some(t) => t.as_str(),
            None => db.get(file).text.as_str(),
        };
        text.get(r).unwrap_or_default().trim().to_string()
    }

    /// The block's first line, up to its `{`: enough for a label without painting the whole block.
    pub fn header_span(&self, db: &SourceDb, file: FileId, block: &Block) -> Span {
        let range = block.span().unwrap_or(0..0);
        if self.maps.contains_key(&file) {
            // A JSON block is its key: the header is where the rendering starts.
            let s = self.span(file, range.start..range.start);
            let text = &db.get(file).text;
            let end = text[s.start..]
                .find(['{', '['])
                .map(|i| s.start + i + 1)
                .unwrap_or(s.start);
            return Span::new(file, s.start, end);
        }
        let text = &db.get(file).text;
        let end = text[range.start..range.end.min(text.len())]
            .find('{')
            .map(|i| range.start + i + 1)
            .unwrap_or(range.end);
        Span::new(file, range.start, end)
    }
}

pub(super) fn labels(block: &Block) -> Vec<String> {
    block
        .labels
        .iter()
        .map(|l| l.as_str().to_string())
        .collect()
}

/// Parses one HCL file; a syntax error becomes an input error at its exact position.
pub fn parse(db: &SourceDb, file: FileId) -> Result<Body, InputError> {
    let src = db.get(file);
    if let Some(offset) = too_deep(&src.text) {
        return Err(InputError {
            meta: &crate::diagnostic::INPUT_PARSE_ERROR,
            file: src.display_name(),
            span: Some(Span::new(file, offset, offset)),
            message: format!(
                "brackets nest more than {MAX_NESTING} levels deep; shardlint does not read deeper"
            ),
            help: Some("split the expression into locals".into()),
        });
    }
    hcl_edit::parser::parse_body(&src.text).map_err(|e| {
        let loc = e.location();
        let offset = loc.offset().min(src.text.len());
        InputError {
            meta: &crate::diagnostic::INPUT_PARSE_ERROR,
            file: src.display_name(),
            span: Some(Span::new(file, offset, offset)),
            message: format!("invalid HCL: {}", e.message()),
            help: Some("fix the syntax; `terraform validate` shows the same error".into()),
        }
    })
}

/// The HCL parser and the evaluator recurse once per nesting level; real configurations nest a
/// few dozen levels.
pub(super) const MAX_NESTING: usize = 100;

/// Where brackets (and `${`) first nest deeper than [`MAX_NESTING`], counted on the raw text
/// (strings included: an over-count only refuses absurd files earlier).
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Reads the parsed files of one directory into its declarations.
pub(super) fn declare(
    db: &SourceDb,
    dir: PathBuf,
    bodies: Vec<(FileId, Body)>,
    var_bodies: Vec<(FileId, Body)>,
    maps: HashMap<FileId, (SpanMap, String)>,
) -> ModuleDecl {
    let display = {
        let d = crate::source::display_path(&dir);
        if d.is_empty() { ".".into() } else { d }
    };
    let mut m = ModuleDecl {
        dir,
        display,
        ..Default::default()
    };
    for (id, (map, text)) in maps {
        m.maps.insert(id, map);
        m.rendered.insert(id, text);
    }
    for (file, body) in &bodies {
        for block in body.blocks() {
            match (block.ident.as_str(), labels(block).as_slice()) {
                ("variable", [name]) => {
                    let default = block.body.get_attribute("default").map(|attr| Def {
                        file: *file,
                        expr: attr.value.clone(),
                        what: format!("the default of variable `{name}`"),
                    });
                    m.variables.insert(name.clone(), VarDecl { default });
                }
                ("locals", []) => {
                    for attr in block.body.attributes() {
                        let name = attr.key.as_str().to_string();
                        if !m.locals.contains_key(&name) {
                            m.local_order.push(name.clone());
                        }
                        m.locals.insert(
                            name.clone(),
                            Def {
                                file: *file,
                                expr: attr.value.clone(),
                                what: format!("local `{name}`"),
                            },
                        );
                    }
                }
                ("output", [name]) => {
                    if let Some(attr) = block.body.get_attribute("value") {
                        m.outputs.insert(
                            name.clone(),
                            Def {
                                file: *file,
                                expr: attr.value.clone(),
                                what: format!("output `{name}`"),
                            },
                        );
                    }
                }
                ("resource", [ty, name]) => m.resources.push(ResDecl {
                    ty: ty.clone(),
                    name: name.clone(),
                    file: *file,
                    block: block.clone(),
                }),
                ("module", [name]) => {
                    let source = match block.body.get_attribute("source").map(|a| &a.value) {
                        Some(Expression::String(s)) => Some(s.value().to_string()),
                        _ => None,
                    };
                    m.calls.push(CallDecl {
                        name: name.clone(),
                        file: *file,
                        header: m.header_span(db, *file, block),
                        block: block.clone(),
                        source,
                    });
                }
                _ => {}
            }
        }
    }
    for (file, body) in &var_bodies {
        let fname = db.get(*file).display_name();
        for attr in body.attributes() {
            m.tfvars.insert(
                attr.key.as_str().to_string(),
                Def {
                    file: *file,
                    expr: attr.value.clone(),
                    what: format!("`{}` in `{fname}`", attr.key.as_str()),
                },
            );
        }
    }
    // Sorted for deterministic output.
    m.resources.sort_by_key(|r| {
        (
            r.file,
            r.block.span().map(|s| s.start),
            r.ty.clone(),
            r.name.clone(),
        )
    });
    m
}

/// `dir/./x/../y` → `dir/y`, without touching the file system (the paths are as given).
pub fn normalize(p: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            c => out.push(c),
        }
    }
    out.iter().collect()
}
