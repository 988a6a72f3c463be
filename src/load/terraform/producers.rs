//! Terraform producers written inside documents: API Gateway REST integrations
//! (`aws_api_gateway_integration` request templates), HTTP API `Kinesis-PutRecord` integrations
//! (`aws_apigatewayv2_integration`), OpenAPI bodies (`aws_api_gateway_rest_api.body`) and Step
//! Functions definitions (`aws_sfn_state_machine.definition` as `jsonencode(...)`, a heredoc or
//! string, `file(...)` or `templatefile(...)`). The documents are read by
//! [`crate::load::apigateway`] and [`crate::load::stepfunctions`].

use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;

use super::eval::{Env, V};
use super::resources::ResourceCtx;
use crate::load::embedded::Text;
use crate::load::json_span::{Key, Kind, Node};
use crate::load::{apigateway, stepfunctions};
use crate::model::{Origin, Producer, Val};
use crate::source::{Escapes, Span};

/// Documents read by `file()`/`templatefile()` larger than this are not read (state machine
/// definitions are limited to 1 MB by Step Functions).
const MAX_DOC: u64 = 4 * 1024 * 1024;

impl ResourceCtx<'_, '_> {
    /// `aws_api_gateway_integration` whose `uri` calls Kinesis `PutRecord`/`PutRecords`: each
    /// request template's partition keys.
    pub(super) fn api_integration(
        &self,
        origin: Origin,
        body: &Body,
        env: Option<&Env>,
    ) -> Vec<Producer> {
        let a = self.address;
        let (uri, _) = self.val_str(body, "uri", &format!("{a}.uri"), env);
        // `arn:aws:apigateway:${var.region}:kinesis:action/PutRecord`: the action is written
        // even when the region is not known.
        let written = body
            .get_attribute("uri")
            .map(|at| self.inst.text(self.file, &at.value))
            .unwrap_or_default();
        let Some(action) = uri
            .get()
            .and_then(|u| apigateway::kinesis_action(u))
            .or_else(|| apigateway::kinesis_action(&written))
        else {
            return Vec::new();
        };
        let Some(attr) = body.get_attribute("request_templates") else {
            return Vec::new();
        };
        let whole = self
            .inst
            .span(self.file, &attr.value)
            .unwrap_or(origin.span);
        let res = self.inst.eval(self.file, &attr.value, env);
        let V::Obj(fields) = res.value else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (ct, v, site) in fields {
            let path = format!("{a}.request_templates[\"{ct}\"]");
            if let Some(p) = self.encoded_template(&attr.value, &ct, env, &origin, &path, action) {
                out.extend(p);
                continue;
            }
            let V::Str(t) = v else { continue };
            let text = Text::single(t, site.unwrap_or(whole), Escapes::Verbatim);
            out.extend(apigateway::template_producers(
                self.inst.db,
                &text,
                &origin,
                a,
                &path,
                action,
                &|name, span, p| (Val::known(name.to_string(), Some(span), p), None),
                apigateway::TEMPLATE_EXAMPLE,
            ));
        }
        out
    }

    /// A request template written as `jsonencode({ StreamName = ..., PartitionKey = ... })`:
    /// its keys read from the object, each at its own attribute. `None` when the template for
    /// `ct` is not written that way.
    fn encoded_template(
        &self,
        templates: &Expression,
        ct: &str,
        env: Option<&Env>,
        origin: &Origin,
        path: &str,
        action: &str,
    ) -> Option<Vec<Producer>> {
        let Expression::Object(obj) = templates else {
            return None;
        };
        let expr = obj.iter().find_map(|(k, v)| {
            let key = match k {
                hcl_edit::expr::ObjectKey::Ident(i) => i.as_str().to_string(),
                hcl_edit::expr::ObjectKey::Expression(e) => {
                    self.inst.eval(self.file, e, env).value.as_text()?
                }
            };
            (key == ct).then(|| v.expr())
        })?;
        let Expression::FuncCall(call) = expr else {
            return None;
        };
        if call.name.name.as_str() != "jsonencode" || call.args.iter().count() != 1 {
            return None;
        }
        let arg = call.args.iter().next()?;
        let span = self.inst.span(self.file, expr).unwrap_or(origin.span);
        let root = v_to_node(&self.inst.eval(self.file, arg, env).value, span, 0);
        let stream = root.get("StreamName").map(|n| match n.as_str() {
            Some(s) => Val::known(s.to_string(), Some(n.span), format!("{path}.StreamName")),
            None => Val::unknown(
                "the stream name is not known statically",
                Some(n.span),
                format!("{path}.StreamName"),
            ),
        });
        let stream = stream.unwrap_or_else(|| Val::absent(format!("{path}.StreamName")));
        let mut keys: Vec<(&Node, String)> = Vec::new();
        if let Some(k) = root.get("PartitionKey") {
            keys.push((k, format!("{path}.PartitionKey")));
        }
        for (i, r) in root
            .get("Records")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            if let Some(k) = r.get("PartitionKey") {
                keys.push((k, format!("{path}.Records[{i}].PartitionKey")));
            }
        }
        Some(
            keys.into_iter()
                .filter_map(|(k, kp)| {
                    let text = k.as_str()?;
                    Some(apigateway::parameter_producer(
                        origin.clone(),
                        Val::known(text.to_string(), Some(k.span), kp),
                        stream.clone(),
                        None,
                        "PartitionKey = \"$input.path('$.deviceId')\"",
                    ))
                })
                .map(|mut p| {
                    p.label = format!("API Gateway `{action}` integration");
                    p.class = apigateway::classify_template_value(
                        p.key.get().map(String::as_str).unwrap_or_default(),
                        &Default::default(),
                    );
                    p
                })
                .collect(),
        )
    }

    /// `aws_apigatewayv2_integration` with `integration_subtype = "Kinesis-PutRecord"`.
    pub(super) fn http_integration(
        &self,
        origin: Origin,
        body: &Body,
        env: Option<&Env>,
    ) -> Option<Producer> {
        let a = self.address;
        let (subtype, _) = self.val_str(
            body,
            "integration_subtype",
            &format!("{a}.integration_subtype"),
            env,
        );
        if !subtype
            .get()
            .is_some_and(|s| apigateway::is_put_record_subtype(s))
        {
            return None;
        }
        let rp = format!("{a}.request_parameters");
        let attr = body.get_attribute("request_parameters");
        let whole = attr.and_then(|at| self.inst.span(self.file, &at.value));
        let res = attr.map(|at| self.inst.eval(self.file, &at.value, env));
        let field = |k: &str| -> Val<String> {
            let path = format!("{rp}.{k}");
            match res.as_ref().map(|r| &r.value) {
                None => Val::absent(path),
                Some(V::Obj(_)) => {
                    let (v, site) = res.as_ref().unwrap().value.attr_site(k);
                    match v {
                        V::Str(s) => Val::known(s, site.or(whole), path),
                        V::Error(_) | V::Null => Val::absent(path),
                        V::Unknown(r) => Val::unknown(r, site.or(whole), path),
                        _ => Val::unknown("not a string", site.or(whole), path),
                    }
                }
                Some(V::Unknown(r)) => Val::unknown(r.clone(), whole, path),
                Some(_) => Val::unknown("`request_parameters` is not a map", whole, path),
            }
        };
        let key = field("PartitionKey");
        let mut stream = field("StreamName");
        if let Some(s) = stream.get().filter(|s| s.starts_with('$')) {
            stream = Val::unknown(
                format!("the stream is chosen per request by `{s}`"),
                stream.span,
                stream.path.clone(),
            );
        }
        Some(apigateway::parameter_producer(
            origin,
            key,
            stream,
            None,
            "PartitionKey = \"$request.body.deviceId\"",
        ))
    }

    /// `aws_api_gateway_rest_api` with an OpenAPI `body`.
    pub(super) fn rest_api_body(
        &self,
        origin: Origin,
        body: &Body,
        env: Option<&Env>,
    ) -> Vec<Producer> {
        let a = self.address;
        let Some(attr) = body.get_attribute("body") else {
            return Vec::new();
        };
        let Some((root, text)) = self.document(&attr.value, env, origin.span) else {
            return Vec::new();
        };
        if !apigateway::is_openapi(&root) {
            return Vec::new();
        }
        let db = self.inst.db;
        let mapped = map_spans(root, db, text.as_ref());
        apigateway::openapi_producers(
            db,
            &mapped,
            &origin,
            &format!("{a}.body"),
            &|name, span, p| (Val::known(name.to_string(), Some(span), p), None),
        )
    }

    /// `aws_sfn_state_machine`: the Kinesis tasks of its `definition`.
    pub(super) fn state_machine(
        &self,
        origin: Origin,
        body: &Body,
        env: Option<&Env>,
    ) -> Vec<Producer> {
        let a = self.address;
        let Some(attr) = body.get_attribute("definition") else {
            return Vec::new();
        };
        let Some((root, text)) = self.document(&attr.value, env, origin.span) else {
            return Vec::new();
        };
        if !stepfunctions::is_definition(&root) {
            return Vec::new();
        }
        let tf_object =
            matches!(&attr.value, Expression::FuncCall(c) if c.name.name.as_str() == "jsonencode");
        let place = stepfunctions::Place {
            db: self.inst.db,
            text: text.as_ref(),
            origin,
            path: format!("{a}.definition"),
            example: tf_object.then(|| "\"PartitionKey.$\" = \"$.deviceId\"".to_string()),
        };
        stepfunctions::producers(&root, &place, &|name, span, p| {
            (Val::known(name.to_string(), Some(span), p), None)
        })
    }

    /// A JSON document given as `jsonencode({...})` (its nodes carry the object's spans), a
    /// string (heredoc or quoted: spans are offsets into the returned text), or
    /// `file()`/`templatefile()` of a file next to the module (`templatefile` variables
    /// substituted where they are plain strings).
    fn document(
        &self,
        expr: &Expression,
        env: Option<&Env>,
        fallback: Span,
    ) -> Option<(Node, Option<Text>)> {
        let span = self.inst.span(self.file, expr).unwrap_or(fallback);
        if let Expression::FuncCall(call) = expr
            && call.name.namespace.is_empty()
        {
            let args: Vec<&Expression> = call.args.iter().collect();
            match call.name.name.as_str() {
                "jsonencode" if args.len() == 1 => {
                    let v = self.inst.eval(self.file, args[0], env).value;
                    return Some((v_to_node(&v, span, 0), None));
                }
                name @ ("file" | "templatefile") if !args.is_empty() => {
                    let path = self.inst.eval(self.file, args[0], env).value.as_text()?;
                    let vars = match args.get(1) {
                        Some(e) if name == "templatefile" => {
                            Some(self.inst.eval(self.file, e, env).value)
                        }
                        _ => None,
                    };
                    return self.read_document(&path, vars.as_ref(), span);
                }
                _ => {}
            }
        }
        let res = self.inst.eval(self.file, expr, env);
        let V::Str(s) = res.value else {
            return None;
        };
        let root = crate::load::embedded::parse_json(&s, self.file)?;
        Some((root, Some(Text::single(s, span, Escapes::Verbatim))))
    }

    /// Reads a document a function call names: with the file's own spans when it is one of the
    /// run's files, else every span at the call.
    fn read_document(
        &self,
        path: &str,
        vars: Option<&V>,
        call: Span,
    ) -> Option<(Node, Option<Text>)> {
        let mut p = std::path::PathBuf::from(path);
        if p.is_relative() && !p.exists() {
            p = self.inst.decl.dir.join(path);
        }
        let wanted = crate::load::normalize_path(&p);
        let db = self.inst.db;
        let in_run = db
            .files()
            .find(|(_, f)| crate::load::normalize_path(&f.path) == wanted);
        let substitute = |t: &str| match vars {
            Some(V::Obj(fields)) => {
                let mut t = t.to_string();
                for (k, v, _) in fields {
                    if let V::Str(s) = v {
                        t = t.replace(&format!("${{{k}}}"), s);
                    }
                }
                t
            }
            _ => t.to_string(),
        };
        if let Some((id, f)) = in_run
            && vars.is_none()
        {
            let root = crate::load::json_span::parse_json_text(&f.text, id).ok()??;
            return Some((root, None));
        }
        let raw = match in_run {
            Some((_, f)) => f.text.clone(),
            None => {
                let meta = std::fs::metadata(&p).ok()?;
                if !meta.is_file() || meta.len() > MAX_DOC {
                    return None;
                }
                std::fs::read_to_string(&p).ok()?
            }
        };
        let text = substitute(&raw);
        let root = crate::load::embedded::parse_json(&text, self.file)?;
        // Substituted text no longer lines up with the file: place findings at the call.
        let len = text.len();
        Some((
            root,
            Some(Text {
                text,
                segs: vec![crate::load::embedded::Seg {
                    range: 0..len,
                    span: call,
                    escapes: Escapes::Verbatim,
                    literal: false,
                }],
            }),
        ))
    }
}

/// An evaluated HCL value as a document node; objects' fields keep where they are written.
fn v_to_node(v: &V, span: Span, depth: usize) -> Node {
    let kind = if depth > 64 {
        Kind::Null
    } else {
        match v {
            V::Str(s) => Kind::Str(s.clone()),
            V::Num(_) | V::Bool(_) => Kind::Num(v.as_text().unwrap_or_default()),
            V::Null | V::Unknown(_) | V::Error(_) => Kind::Null,
            V::List(items) => Kind::Seq(
                items
                    .iter()
                    .map(|i| v_to_node(i, span, depth + 1))
                    .collect(),
            ),
            V::Obj(fields) => Kind::Map(
                fields
                    .iter()
                    .map(|(k, fv, site)| {
                        let s = site.unwrap_or(span);
                        (
                            Key {
                                name: k.clone(),
                                span: s,
                            },
                            v_to_node(fv, s, depth + 1),
                        )
                    })
                    .collect(),
            ),
        }
    };
    Node {
        span,
        escapes: Escapes::Verbatim,
        kind,
    }
}

/// A document parsed from a string, with every span mapped back into the file (the OpenAPI
/// reader takes nodes as they are).
fn map_spans(n: Node, db: &crate::source::SourceDb, text: Option<&Text>) -> Node {
    let Some(t) = text else { return n };
    fn go(n: Node, db: &crate::source::SourceDb, t: &Text) -> Node {
        let span = t.locate(db, n.span.start..n.span.end);
        let kind = match n.kind {
            Kind::Seq(v) => Kind::Seq(v.into_iter().map(|c| go(c, db, t)).collect()),
            Kind::Map(m) => Kind::Map(
                m.into_iter()
                    .map(|(k, c)| {
                        (
                            Key {
                                span: t.locate(db, k.span.start..k.span.end),
                                name: k.name,
                            },
                            go(c, db, t),
                        )
                    })
                    .collect(),
            ),
            other => other,
        };
        // Mapped spans are the file's own text: strings located inside them no longer need
        // the document's escapes.
        Node {
            span,
            escapes: Escapes::Verbatim,
            kind,
        }
    }
    go(n, db, t)
}
