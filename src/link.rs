//! Cross-source linking: after every loader ran, connects each IoT Kinesis action and every other
//! producer to its stream (by IaC reference, name or ARN), and each event source mapping to its stream (reference, ARN,
//! name inside the ARN, or an enhanced fan-out consumer ARN) and function (reference, name or ARN).
//! Whatever cannot be linked is recorded once in `Model::unlinked`.

use crate::model::{
    EventSourceType, Model, SourceKindGuess, SourceTarget, Unlinked, ValState, classify_source_arn,
};

pub fn link(model: &mut Model) {
    merge_export_streams(model);
    let streams: Vec<(String, String, Option<String>, Option<String>)> = model
        .streams
        .iter()
        .map(|s| {
            (
                s.origin.module.clone(),
                s.origin.address.clone(),
                s.name.get().cloned(),
                s.arn.clone(),
            )
        })
        .collect();
    let functions: Vec<(String, String, Option<String>, Option<String>)> = model
        .functions
        .iter()
        .map(|f| {
            (
                f.origin.module.clone(),
                f.origin.address.clone(),
                f.name.get().cloned(),
                f.arn.clone(),
            )
        })
        .collect();

    let by_ref = |list: &[(String, String, Option<String>, Option<String>)],
                  module: &str,
                  r: &str|
     -> Option<usize> {
        list.iter()
            .position(|(m, addr, _, _)| m == module && addr == r)
    };
    // CloudFormation resolves `!Ref` of an unnamed resource to its logical id.
    let by_logical_id = |list: &[(String, String, Option<String>, Option<String>)],
                         module: &str,
                         id: &str|
     -> Option<usize> {
        list.iter().position(|(m, addr, n, _)| {
            m == module && n.is_none() && addr.strip_prefix("Resources.") == Some(id)
        })
    };
    // Every entity with that name; more than one is ambiguous.
    let by_name =
        |list: &[(String, String, Option<String>, Option<String>)], name: &str| -> Vec<usize> {
            list.iter()
                .enumerate()
                .filter(|(_, (_, _, n, arn))| {
                    n.as_deref() == Some(name) || arn.as_deref() == Some(name)
                })
                .map(|(i, _)| i)
                .collect()
        };

    let mut unlinked = Vec::new();
    for rule in &mut model.rules {
        let module = rule.origin.module.clone();
        for action in &mut rule.actions {
            if let Some(r) = &action.stream_ref
                && let Some(i) = by_ref(&streams, &module, r)
            {
                action.stream = Some(i);
                continue;
            }
            match &action.stream_name.state {
                ValState::Known(name) => match by_name(&streams, name).as_slice() {
                    [i] => action.stream = Some(*i),
                    [] if by_logical_id(&streams, &module, name).is_some() => {
                        action.stream = by_logical_id(&streams, &module, name)
                    }
                    [] => unlinked.push(Unlinked {
                        span: action.stream_name.span.unwrap_or(action.span),
                        path: action.stream_name.path.clone(),
                        wanted: format!("stream `{name}`"),
                        reason: "no stream of that name is in the inputs".into(),
                    }),
                    many => unlinked.push(Unlinked {
                        span: action.stream_name.span.unwrap_or(action.span),
                        path: action.stream_name.path.clone(),
                        wanted: format!("stream `{name}`"),
                        reason: format!("{} streams have that name", many.len()),
                    }),
                },
                ValState::Unknown(reason) => unlinked.push(Unlinked {
                    span: action.stream_name.span.unwrap_or(action.span),
                    path: action.stream_name.path.clone(),
                    wanted: "the target stream".into(),
                    reason: reason.clone(),
                }),
                ValState::Absent => {}
            }
        }
    }

    // Other producers: by reference, then by name or ARN (`...:stream/NAME`).
    for p in &mut model.producers {
        let module = p.origin.module.clone();
        if let Some(r) = &p.stream_ref
            && let Some(i) = by_ref(&streams, &module, r)
        {
            p.stream = Some(i);
            continue;
        }
        match &p.stream_name.state {
            ValState::Known(written) => {
                let name = match classify_source_arn(written) {
                    SourceTarget::KinesisStream { name } => name,
                    _ => written.clone(),
                };
                let exact = by_name(&streams, written);
                let hits = if exact.len() == 1 {
                    exact
                } else {
                    by_name(&streams, &name)
                };
                match hits.as_slice() {
                    [i] => p.stream = Some(*i),
                    [] if by_logical_id(&streams, &module, &name).is_some() => {
                        p.stream = by_logical_id(&streams, &module, &name)
                    }
                    [] => unlinked.push(Unlinked {
                        span: p.stream_name.span.unwrap_or(p.origin.span),
                        path: p.stream_name.path.clone(),
                        wanted: format!("stream `{name}`"),
                        reason: "no stream of that name is in the inputs".into(),
                    }),
                    many => unlinked.push(Unlinked {
                        span: p.stream_name.span.unwrap_or(p.origin.span),
                        path: p.stream_name.path.clone(),
                        wanted: format!("stream `{name}`"),
                        reason: format!("{} streams have that name", many.len()),
                    }),
                }
            }
            ValState::Unknown(reason) => unlinked.push(Unlinked {
                span: p.stream_name.span.unwrap_or(p.origin.span),
                path: p.stream_name.path.clone(),
                wanted: "the target stream".into(),
                reason: reason.clone(),
            }),
            ValState::Absent => {}
        }
    }

    for m in &mut model.mappings {
        let module = m.origin.module.clone();
        // Stream.
        let mut linked = m
            .source_ref
            .as_deref()
            .and_then(|r| by_ref(&streams, &module, r));
        if linked.is_none() {
            match &m.source_arn.state {
                ValState::Known(arn) => {
                    let name = match classify_source_arn(arn) {
                        SourceTarget::KinesisStream { name } => Some(name),
                        SourceTarget::KinesisConsumer { stream, .. } => Some(stream),
                        _ => None,
                    };
                    if let Some(name) = name {
                        let exact = by_name(&streams, arn);
                        let hits = if exact.len() == 1 {
                            exact
                        } else {
                            by_name(&streams, &name)
                        };
                        match hits.as_slice() {
                            [i] => linked = Some(*i),
                            [] if by_logical_id(&streams, &module, &name).is_some() => {
                                linked = by_logical_id(&streams, &module, &name)
                            }
                            [] => unlinked.push(Unlinked {
                                span: m.source_arn.span.unwrap_or(m.origin.span),
                                path: m.source_arn.path.clone(),
                                wanted: format!("stream `{name}`"),
                                reason: "no stream of that name is in the inputs".into(),
                            }),
                            many => unlinked.push(Unlinked {
                                span: m.source_arn.span.unwrap_or(m.origin.span),
                                path: m.source_arn.path.clone(),
                                wanted: format!("stream `{name}`"),
                                reason: format!("{} streams have that name", many.len()),
                            }),
                        }
                    }
                }
                ValState::Unknown(reason) => {
                    // Only a source that may be a Kinesis stream has a stream to find: queues,
                    // brokers, Kafka clusters and DynamoDB streams are not noise for SL002.
                    let wanted = match m.source_kind() {
                        SourceKindGuess::Known(EventSourceType::Kinesis)
                        | SourceKindGuess::Stream => Some("the source stream"),
                        SourceKindGuess::StreamOrKafka => {
                            Some("the source (a Kinesis or DynamoDB stream, or a Kafka cluster)")
                        }
                        SourceKindGuess::Known(_) | SourceKindGuess::Unknown => None,
                    };
                    if let Some(wanted) = wanted {
                        unlinked.push(Unlinked {
                            span: m.source_arn.span.unwrap_or(m.origin.span),
                            path: m.source_arn.path.clone(),
                            wanted: wanted.into(),
                            reason: reason.clone(),
                        });
                    }
                }
                ValState::Absent => {}
            }
        }
        m.stream = linked;

        // Function: by reference, then by name or ARN (`...:function:NAME[:alias]`).
        let mut f = m
            .function_ref
            .as_deref()
            .and_then(|r| by_ref(&functions, &module, r));
        if f.is_none()
            && let Some(v) = m.function.get()
        {
            let name = v
                .split_once(":function:")
                .map(|(_, rest)| rest.split(':').next().unwrap_or(rest))
                .unwrap_or(v);
            let hits = by_name(&functions, v);
            let hits = if hits.len() == 1 {
                hits
            } else {
                by_name(&functions, name)
            };
            if let [i] = hits.as_slice() {
                f = Some(*i);
            } else if hits.is_empty() {
                f = by_logical_id(&functions, &module, name);
            }
        }
        m.function_idx = f;
    }
    // Several producers share one stream name (the records of one `PutRecords` task): said once.
    let mut seen = std::collections::HashSet::new();
    unlinked.retain(|u| seen.insert((u.span, u.path.clone())));
    model.unlinked.extend(unlinked);
}

/// An exported stream appears once per file that describes it (describe-stream-summary and
/// list-shards): fold exports of the same stream name into one.
fn merge_export_streams(model: &mut Model) {
    use crate::model::SourceKind;
    let mut i = 0;
    while i < model.streams.len() {
        let is_export = model.streams[i].origin.kind == SourceKind::Export;
        let name = model.streams[i].name.get().cloned();
        let dup = match (&name, is_export) {
            (Some(n), true) => (i + 1..model.streams.len()).find(|&j| {
                let o = &model.streams[j];
                o.origin.kind == SourceKind::Export && o.name.get() == Some(n)
            }),
            _ => None,
        };
        let Some(j) = dup else {
            i += 1;
            continue;
        };
        let other = model.streams.remove(j);
        let s = &mut model.streams[i];
        if s.shards.is_none() && other.shards.is_some() {
            s.shards = other.shards;
            s.shards_span = other.shards_span;
        }
        if s.arn.is_none() {
            s.arn = other.arn;
        }
        if s.mode.get().is_none() && other.mode.get().is_some() {
            s.mode = other.mode;
        }
        if s.shard_count.get().is_none() && other.shard_count.get().is_some() {
            s.shard_count = other.shard_count;
        }
    }
}
