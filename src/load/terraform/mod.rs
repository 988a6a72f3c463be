//! Terraform loader: reads every module directory of a run (`.tf` and `.tf.json`, tfvars), links
//! module calls (local `source = "./x"`, and remote ones through `.terraform/modules/modules.json`
//! after `terraform init`), and evaluates each root module and each call of a module with its
//! arguments, filling the model with the resources shardlint reads.
//!
//! - [`module`]: module loading (parsing, declarations);
//! - [`json`]: Terraform JSON syntax rendered as HCL with a span map back to the JSON;
//! - [`eval`]: expression evaluation (memoized, budgeted, without deep recursion);
//! - [`functions`]: Terraform's built-in functions;
//! - [`resources`]: resources into the model;
//! - [`remote`]: well-known registry modules read without their source.

mod eval;
mod functions;
mod json;
mod module;
mod producers;
mod remote;
mod resources;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use hcl_edit::structure::Body;
use rayon::prelude::*;

use crate::diagnostic::InputError;
use crate::model::Model;
use crate::source::{FileId, SourceDb};

use eval::Instance;
pub use module::normalize;
use module::{CallDecl, ModuleDecl};

pub use module::parse;

/// How Terraform spells parameters, keys and fixes (also used for plans: they show the same
/// attribute names).
pub static DIALECT: crate::model::Dialect = crate::model::Dialect {
    param: param_name,
    key_param: "partition_key",
    key_example: |t| format!("partition_key = \"{}\"", t.replace("${", "$${")),
    add_destination: "add `destination_config { on_failure { destination_arn = <SQS queue, SNS topic or S3 bucket ARN> } }`",
    bound_retries: |_| {
        "set `maximum_retry_attempts` (e.g. `3`) or `maximum_record_age_in_seconds`, with `bisect_batch_on_function_error = true` and `destination_config { on_failure { destination_arn = <SQS queue, SNS topic or S3 bucket ARN> } }` to keep the failed batch (S3 keeps the records themselves)".into()
    },
    deployed_state: false,
    interpolation,
    key_literal: |t, _| Some(hcl_quoted(t)),
    setting_line: hcl_setting,
    line_comment: |_| Some("#"),
};

/// A quoted HCL string that Terraform leaves as `template` (`${` and `%{` escaped).
fn hcl_quoted(template: &str) -> String {
    let mut out = String::from('"');
    for c in template.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out.replace("${", "$${").replace("%{", "%%{")
}

/// `name = value`, its `=` aligned with the anchor's when the name fits, as `terraform fmt` does.
fn hcl_setting(name: &str, value: &str, anchor: &str) -> Option<String> {
    let indent = crate::model::indentation(anchor);
    let eq = anchor
        .find('=')
        .map_or(0, |i| i.saturating_sub(indent.len()));
    let pad = eq.saturating_sub(name.len()).max(1);
    Some(format!("{indent}{name}{}= {value}", " ".repeat(pad)))
}

/// Terraform JSON syntax: the same names, written as JSON.
pub static JSON_DIALECT: crate::model::Dialect = crate::model::Dialect {
    param: param_name,
    key_param: "partition_key",
    key_example: |t| format!("\"partition_key\": \"{}\"", t.replace("${", "$${")),
    add_destination: "add `\"destination_config\": {\"on_failure\": {\"destination_arn\": \"<SQS queue, SNS topic or S3 bucket ARN>\"}}`",
    bound_retries: |_| {
        "set `\"maximum_retry_attempts\": 3` or `\"maximum_record_age_in_seconds\"`, with `\"bisect_batch_on_function_error\": true` and `\"destination_config\": {\"on_failure\": {\"destination_arn\": \"<SQS queue, SNS topic or S3 bucket ARN>\"}}` to keep the failed batch (S3 keeps the records themselves)".into()
    },
    deployed_state: false,
    interpolation,
    key_literal: |t, _| {
        Some(crate::model::double_quoted(
            &t.replace("${", "$${").replace("%{", "%%{"),
        ))
    },
    // Adding a member needs commas around it: not offered.
    setting_line: crate::model::no_setting,
    line_comment: crate::model::no_comment,
};

fn param_name(api: &str) -> String {
    match api {
        "MaximumBatchingWindowInSeconds" => "maximum_batching_window_in_seconds".into(),
        "MaximumRecordAgeInSeconds" => "maximum_record_age_in_seconds".into(),
        "TumblingWindowInSeconds" => "tumbling_window_in_seconds".into(),
        "BisectBatchOnFunctionError" => "bisect_batch_on_function_error".into(),
        "DestinationConfig" => "destination_config".into(),
        "RetentionPeriodHours" => "retention_period".into(),
        other => {
            let mut out = String::new();
            for (i, c) in other.chars().enumerate() {
                if c.is_uppercase() {
                    if i > 0 {
                        out.push('_');
                    }
                    out.extend(c.to_lowercase());
                } else {
                    out.push(c);
                }
            }
            out
        }
    }
}

fn interpolation(
    effect: crate::model::IacEffect,
    expr: &str,
    escaped: &str,
) -> (String, &'static str, String) {
    let help = format!("escape it so IoT evaluates it per record: `{escaped}`");
    match effect {
        crate::model::IacEffect::FixedPerDeploy => (
            format!(
                "Terraform evaluates `${{{expr}}}` once per apply, so every record gets the same partition key"
            ),
            "Terraform's function, not IoT's",
            help,
        ),
        _ => (
            format!(
                "Terraform tries to evaluate `${{{expr}}}` itself and rejects it; IoT never sees the template"
            ),
            "a Terraform interpolation",
            help,
        ),
    }
}

/// Directories read only because a module call points at them (beyond those given).
const MAX_EXTRA_DIRS: usize = 1000;

/// All module directories of a run.
#[derive(Default)]
pub struct Project {
    decls: Vec<ModuleDecl>,
    by_dir: HashMap<PathBuf, usize>,
    /// Directories already asked for (found or not).
    asked: HashSet<PathBuf>,
    /// `modules.json` of each directory that has one: call key → module directory.
    installed: HashMap<PathBuf, HashMap<String, PathBuf>>,
    pub errors: Vec<InputError>,
}

/// What evaluating a run's Terraform gave.
#[derive(Debug, Default)]
pub struct Evaluated {
    pub model: Model,
    pub errors: Vec<InputError>,
    /// Said once per run: remote modules whose source is not read.
    pub notes: Vec<String>,
}

/// Whether a file name is one the Terraform loader reads, and whether it holds variable values.
pub fn file_role(name: &str) -> Option<bool> {
    if name.ends_with(".tf") || name.ends_with(".tf.json") {
        Some(false)
    } else if name == "terraform.tfvars"
        || name.ends_with(".auto.tfvars")
        || name == "terraform.tfvars.json"
        || name.ends_with(".auto.tfvars.json")
    {
        Some(true)
    } else {
        None
    }
}

impl Project {
    /// Parses the files of module directories (in parallel) and records their declarations.
    pub fn add_dirs(&mut self, db: &SourceDb, dirs: Vec<(PathBuf, Vec<FileId>, Vec<FileId>)>) {
        let parsed: Vec<(ModuleDecl, Vec<InputError>)> = dirs
            .into_par_iter()
            .map(|(dir, tf, vars)| parse_dir(db, dir, &tf, &vars))
            .collect();
        for (decl, errors) in parsed {
            self.errors.extend(errors);
            self.asked.insert(decl.dir.clone());
            self.by_dir.insert(decl.dir.clone(), self.decls.len());
            self.decls.push(decl);
        }
    }

    /// Module directories that calls point at and that are not read yet; each is asked for once.
    pub fn wanted(&mut self) -> Vec<PathBuf> {
        if self.asked.len() > MAX_EXTRA_DIRS + self.decls.len() {
            return Vec::new();
        }
        let mut out = BTreeSet::new();
        for decl in &self.decls {
            if !self.installed.contains_key(&decl.dir) && !decl.calls.is_empty() {
                let map = read_modules_json(&decl.dir);
                self.installed.insert(decl.dir.clone(), map);
            }
            for call in &decl.calls {
                if let Some(src) = call.local_source() {
                    out.insert(normalize(&decl.dir.join(src)));
                }
            }
            if let Some(map) = self.installed.get(&decl.dir) {
                out.extend(map.values().cloned());
            }
        }
        let out: Vec<PathBuf> = out
            .into_iter()
            .filter(|d| !self.asked.contains(d))
            .collect();
        self.asked.extend(out.iter().cloned());
        out
    }

    /// Where call `call` of `inst` is declared, if shardlint reads it.
    fn callee<'p>(&'p self, inst: &Instance<'p>, call: &CallDecl) -> Option<&'p ModuleDecl> {
        let dir = match call.local_source() {
            Some(src) => normalize(&inst.decl.dir.join(src)),
            None => {
                let key = if inst.modkey.is_empty() {
                    call.name.clone()
                } else {
                    format!("{}.{}", inst.modkey, call.name)
                };
                self.installed.get(&inst.root_dir)?.get(&key)?.clone()
            }
        };
        self.by_dir.get(&dir).map(|&i| &self.decls[i])
    }

    /// Evaluates every root module (a directory no other directory calls) and, through it, every
    /// module call.
    pub fn evaluate(&self, db: &SourceDb) -> Evaluated {
        let mut called: HashSet<PathBuf> = HashSet::new();
        for decl in &self.decls {
            for call in &decl.calls {
                if let Some(src) = call.local_source() {
                    called.insert(normalize(&decl.dir.join(src)));
                }
            }
            if let Some(map) = self.installed.get(&decl.dir) {
                called.extend(map.values().cloned());
            }
        }
        let results: Vec<Evaluated> = self
            .decls
            .par_iter()
            .filter(|d| !called.contains(&d.dir))
            .map(|decl| {
                let inst = Instance::new(
                    db,
                    self,
                    decl,
                    String::new(),
                    decl.display.clone(),
                    decl.dir.clone(),
                    String::new(),
                    None,
                    None,
                    0,
                );
                let mut out = Evaluated::default();
                emit_all(&inst, &mut out);
                out
            })
            .collect();
        let mut all = Evaluated::default();
        for r in results {
            all.model.extend(r.model);
            all.errors.extend(r.errors);
            all.notes.extend(r.notes);
        }
        all.notes.sort();
        all.notes.dedup();
        if !all.notes.is_empty() {
            let n = all.notes.len();
            let list = all.notes.join(", ");
            all.notes = vec![format!(
                "{} remote Terraform {} not read (run `terraform init` so that `.terraform/modules/modules.json` exists): {list}",
                n,
                if n == 1 { "module is" } else { "modules are" }
            )];
        }
        all
    }
}

/// The instance's resources, then each of its module calls' (recursively, bounded by
/// [`eval::MAX_MODULE_NESTING`]).
fn emit_all(inst: &Instance, out: &mut Evaluated) {
    resources::emit(inst, &mut out.model);
    for call in &inst.decl.calls {
        match inst.children(&call.name) {
            Some(children) => {
                for c in children.iter() {
                    emit_all(&c.inst, out);
                }
            }
            None => {
                if !remote::known_module(inst, call, &mut out.model)
                    && let Some(src) = &call.source
                    && call.local_source().is_none()
                {
                    out.notes.push(format!("`{src}`"));
                }
            }
        }
    }
    out.errors.extend(inst.diags.borrow_mut().drain(..));
}

fn parse_dir(
    db: &SourceDb,
    dir: PathBuf,
    tf: &[FileId],
    vars: &[FileId],
) -> (ModuleDecl, Vec<InputError>) {
    let mut errors = Vec::new();
    let mut bodies: Vec<(FileId, Body)> = Vec::new();
    let mut var_bodies: Vec<(FileId, Body)> = Vec::new();
    let mut maps = HashMap::new();
    for (&file, is_vars) in tf
        .iter()
        .map(|f| (f, false))
        .chain(vars.iter().map(|f| (f, true)))
    {
        let is_json = db.get(file).path.to_string_lossy().ends_with(".json");
        let parsed = if is_json {
            json::parse(db, file, is_vars).map(|r| {
                r.map(|(body, map, text)| {
                    maps.insert(file, (map, text));
                    body
                })
            })
        } else {
            parse(db, file).map(Some)
        };
        match parsed {
            Ok(Some(body)) if is_vars => var_bodies.push((file, body)),
            Ok(Some(body)) => bodies.push((file, body)),
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    (module::declare(db, dir, bodies, var_bodies, maps), errors)
}

/// `.terraform/modules/modules.json` (written by `terraform init`): call key → directory, relative
/// to the module directory that holds `.terraform/`.
fn read_modules_json(dir: &Path) -> HashMap<String, PathBuf> {
    let path = dir.join(".terraform").join("modules").join("modules.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return HashMap::new();
    };
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(rename = "Key")]
        key: String,
        #[serde(rename = "Dir")]
        dir: String,
    }
    #[derive(serde::Deserialize)]
    struct File {
        #[serde(rename = "Modules", default)]
        modules: Vec<Entry>,
    }
    let Ok(file) = serde_json::from_str::<File>(text.trim_start_matches('\u{feff}')) else {
        return HashMap::new();
    };
    file.modules
        .into_iter()
        .filter(|e| !e.key.is_empty())
        .map(|e| (e.key, normalize(&dir.join(e.dir))))
        .collect()
}

/// Loads one directory alone (tests and benches).
pub fn load_module(
    db: &SourceDb,
    dir: &str,
    tf: &[FileId],
    tfvars: &[FileId],
) -> (Model, Vec<InputError>) {
    let mut p = Project::default();
    p.add_dirs(db, vec![(PathBuf::from(dir), tf.to_vec(), tfvars.to_vec())]);
    let mut ev = p.evaluate(db);
    let mut errors = std::mem::take(&mut p.errors);
    errors.append(&mut ev.errors);
    (ev.model, errors)
}

#[cfg(test)]
mod tests;
