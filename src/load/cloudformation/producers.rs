//! CloudFormation/SAM producers written inside documents: `AWS::ApiGateway::Method`
//! `Integration.RequestTemplates`, `AWS::ApiGatewayV2::Integration` `Kinesis-PutRecord`
//! request parameters, OpenAPI bodies (`AWS::ApiGateway::RestApi` `Body`, SAM `DefinitionBody`)
//! and state machines (`AWS::StepFunctions::StateMachine` `Definition`/`DefinitionString`, SAM
//! `AWS::Serverless::StateMachine` `Definition`/`DefinitionUri`), with `DefinitionSubstitutions`
//! and `!Sub` variables resolved to the template's streams.

use std::path::PathBuf;

use super::resolve::{Ctx, Tpl};
use crate::load::embedded::Text;
use crate::load::json_span::{Kind, Node, join};
use crate::load::{apigateway, stepfunctions};
use crate::model::{Origin, Producer, Val, ValState};
use crate::source::Span;

/// Larger definition files (`DefinitionUri`) are not read.
const MAX_DOC: u64 = 4 * 1024 * 1024;

/// Resolves a stream name or ARN written in a document: literal, a `${Var}` that
/// `DefinitionSubstitutions` (or the template) gives, or any `!Sub` text. A `${X}` naming a
/// stream of the template links by its logical id.
fn stream_of<'t>(
    t: &'t Tpl,
    subs: Option<&'t Node>,
) -> impl Fn(&str, Span, String) -> (Val<String>, Option<String>) + 't {
    move |written, span, path| {
        if !written.contains("${") {
            return (Val::known(written.to_string(), Some(span), path), None);
        }
        let is_stream = |id: &str| {
            t.resources()
                .get(id)
                .and_then(|r| r.get("Type"))
                .and_then(Node::as_str)
                == Some("AWS::Kinesis::Stream")
        };
        let trimmed = written.trim();
        if let Some(var) = trimmed
            .strip_prefix("${")
            .and_then(|v| v.strip_suffix('}'))
            .filter(|v| !v.contains("${"))
        {
            let id = var.split('.').next().unwrap_or(var);
            if let Some(n) = subs.and_then(|s| s.get(var)) {
                // `StreamName: !Ref Stream`: the stream by logical id.
                if t.referenced_type(n) == Some("AWS::Kinesis::Stream")
                    && let Some(sid) = stream_id_of(n)
                {
                    let r = format!("Resources.{sid}");
                    return (Val::known(sid, Some(span), path), Some(r));
                }
                let r = t.resolve(n, Ctx::ARN, 0);
                return (
                    Val {
                        state: r.state,
                        span: Some(span),
                        escapes: Default::default(),
                        path,
                        via: r.via,
                    },
                    None,
                );
            }
            if is_stream(id) {
                let r = format!("Resources.{id}");
                return (Val::known(id.to_string(), Some(span), path), Some(r));
            }
        }
        let sub = Node {
            span,
            escapes: Default::default(),
            kind: Kind::Tagged(
                "Sub".into(),
                Box::new(Node {
                    span,
                    escapes: Default::default(),
                    kind: Kind::Str(written.to_string()),
                }),
            ),
        };
        let r = t.resolve(&sub, Ctx::ARN, 0);
        let state = match r.state {
            ValState::Known(v) => ValState::Known(v),
            ValState::Unknown(why) => ValState::Unknown(why),
            ValState::Absent => ValState::Unknown(format!("`{written}` is not resolved")),
        };
        (
            Val {
                state,
                span: Some(span),
                escapes: Default::default(),
                path,
                via: r.via,
            },
            None,
        )
    }
}

/// The logical id a `!Ref X` / `!GetAtt X.Arn` names.
fn stream_id_of(n: &Node) -> Option<String> {
    let (f, arg) = super::resolve::intrinsic(n)?;
    match (f, &arg.kind) {
        ("Ref", _) => arg.scalar_text(),
        ("GetAtt", Kind::Seq(v)) => v.first()?.scalar_text(),
        ("GetAtt", _) => arg
            .scalar_text()
            .map(|s| s.split('.').next().unwrap_or_default().to_string()),
        _ => None,
    }
}

/// `AWS::ApiGateway::Method` whose integration calls Kinesis `PutRecord`/`PutRecords`.
pub(super) fn api_method(t: &Tpl, props: &Node, pp: &str, origin: &Origin) -> Vec<Producer> {
    let Some(integ) = props.get("Integration") else {
        return Vec::new();
    };
    let Some(action) = integ
        .get("Uri")
        .and_then(Text::from_node)
        .and_then(|u| apigateway::kinesis_action(&u.text))
    else {
        return Vec::new();
    };
    let ip = join(pp, "Integration");
    let resolve = stream_of(t, None);
    let mut out = Vec::new();
    for (ct, tpl) in integ
        .get("RequestTemplates")
        .map(Node::entries)
        .unwrap_or(&[])
    {
        let Some(text) = Text::from_node(tpl) else {
            continue;
        };
        let path = format!("{}.{}", join(&ip, "RequestTemplates"), ct.name);
        out.extend(apigateway::template_producers(
            t.db,
            &text,
            origin,
            &origin.address,
            &path,
            action,
            &resolve,
            apigateway::TEMPLATE_EXAMPLE,
        ));
    }
    out
}

/// `AWS::ApiGatewayV2::Integration` with `IntegrationSubtype: Kinesis-PutRecord`.
pub(super) fn http_integration(
    t: &Tpl,
    props: &Node,
    pp: &str,
    origin: Origin,
) -> Option<Producer> {
    let subtype = props.get("IntegrationSubtype").and_then(Text::from_node)?;
    if !apigateway::is_put_record_subtype(&subtype.text) {
        return None;
    }
    let rp = join(pp, "RequestParameters");
    let params = props.get("RequestParameters");
    let text_of = |k: &str| {
        params
            .and_then(|p| p.get(k))
            .and_then(Text::from_node)
            .map(|x| {
                let span = x.locate(t.db, 0..x.text.len());
                (x.text, span)
            })
    };
    let key = match text_of("PartitionKey") {
        Some((k, span)) => Val::known(k, Some(span), join(&rp, "PartitionKey")),
        None => Val::absent(join(&rp, "PartitionKey")),
    };
    let (stream, stream_ref) = match text_of("StreamName") {
        Some((s, span)) if s.starts_with('$') && !s.starts_with("${") => (
            Val::unknown(
                format!("the stream is chosen per request by `{s}`"),
                Some(span),
                join(&rp, "StreamName"),
            ),
            None,
        ),
        Some((s, span)) => stream_of(t, None)(&s, span, join(&rp, "StreamName")),
        None => (Val::absent(join(&rp, "StreamName")), None),
    };
    let json =
        t.db.get(origin.span.file)
            .text
            .trim_start()
            .starts_with('{');
    Some(apigateway::parameter_producer(
        origin,
        key,
        stream,
        stream_ref,
        if json {
            "\"PartitionKey\": \"$request.body.deviceId\""
        } else {
            "PartitionKey: $request.body.deviceId"
        },
    ))
}

/// An inline OpenAPI document (`Body`, `DefinitionBody`).
pub(super) fn openapi_body(
    t: &Tpl,
    props: &Node,
    key: &str,
    pp: &str,
    origin: &Origin,
) -> Vec<Producer> {
    let Some(doc) = props.get(key).filter(|d| apigateway::is_openapi(d)) else {
        return Vec::new();
    };
    apigateway::openapi_producers(t.db, doc, origin, &join(pp, key), &stream_of(t, None))
}

/// A state machine's Kinesis tasks, and the definition file it includes (SAM `DefinitionUri`).
pub(super) fn state_machine(
    t: &Tpl,
    props: &Node,
    pp: &str,
    origin: Origin,
) -> (Vec<Producer>, Option<PathBuf>) {
    let subs = props.get("DefinitionSubstitutions");
    let resolve = stream_of(t, subs);
    if let Some(def) = props.get("Definition").filter(|d| d.is_map()) {
        let yaml = !t.db.get(def.span.file).text.trim_start().starts_with('{');
        let place = stepfunctions::Place {
            db: t.db,
            text: None,
            origin,
            path: join(pp, "Definition"),
            example: yaml.then(|| "PartitionKey.$: $.deviceId".to_string()),
        };
        return (stepfunctions::producers(def, &place, &resolve), None);
    }
    if let Some(text) = props.get("DefinitionString").and_then(Text::from_node) {
        let Some(root) = crate::load::embedded::parse_json(&text.text, origin.span.file) else {
            return (Vec::new(), None);
        };
        let place = stepfunctions::Place {
            db: t.db,
            text: Some(&text),
            origin,
            path: join(pp, "DefinitionString"),
            example: None,
        };
        return (stepfunctions::producers(&root, &place, &resolve), None);
    }
    // SAM: a local definition file (an `s3://` URI or a `Bucket`/`Key` map is not ours).
    let Some(uri) = props.get("DefinitionUri").and_then(Node::as_str) else {
        return (Vec::new(), None);
    };
    if uri.starts_with("s3://") {
        return (Vec::new(), None);
    }
    let dir =
        t.db.get(origin.span.file)
            .path
            .parent()
            .map(PathBuf::from)
            .unwrap_or_default();
    let path = crate::load::normalize_path(&dir.join(uri));
    let uri_span = props
        .get("DefinitionUri")
        .map(|n| n.span)
        .unwrap_or(origin.span);
    let in_run =
        t.db.files()
            .find(|(_, f)| crate::load::normalize_path(&f.path) == path);
    let (root, text, included) = match in_run {
        Some((id, f)) => {
            let root = if f.text.trim_start().starts_with('{') {
                crate::load::json_span::parse_json_text(&f.text, id)
                    .ok()
                    .flatten()
            } else {
                super::parse_yaml_text(&f.text, id)
            };
            (root, None, Some(f.path.clone()))
        }
        None => {
            let Some(raw) = std::fs::metadata(&path)
                .ok()
                .filter(|m| m.is_file() && m.len() <= MAX_DOC)
                .and_then(|_| std::fs::read_to_string(&path).ok())
            else {
                return (Vec::new(), None);
            };
            let root = if raw.trim_start().starts_with('{') {
                crate::load::embedded::parse_json(&raw, uri_span.file)
            } else {
                super::parse_yaml_text(&raw, uri_span.file)
            };
            // Not one of the run's files: findings go to `DefinitionUri`.
            let len = raw.len();
            let text = Text {
                text: raw,
                segs: vec![crate::load::embedded::Seg {
                    range: 0..len,
                    span: uri_span,
                    escapes: Default::default(),
                    literal: false,
                }],
            };
            (root, Some(text), None)
        }
    };
    let Some(root) = root.filter(stepfunctions::is_definition) else {
        return (Vec::new(), None);
    };
    let place = stepfunctions::Place {
        db: t.db,
        text: text.as_ref(),
        origin,
        path: join(pp, "DefinitionUri"),
        example: None,
    };
    (stepfunctions::producers(&root, &place, &resolve), included)
}
