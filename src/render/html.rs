//! A self-contained HTML audit report: inline CSS and inline SVG, no script, no external fetch.
//! It leads with the worst: a header saying what the export is of (account, regions, export time,
//! metrics window, what could not be read), a ranked overview of every stream (errors, observed
//! throttling, peak shard utilisation, max IteratorAge, producers, consumers; worst first, linked),
//! then one card per stream with something to say: time series of the observed write rate against
//! the stream's capacity and of IteratorAge, per-shard charts (observed per-minute peaks, sampled
//! per-second peaks, or the static prediction; sorted top shards plus a heat strip of all of them
//! when there are too many for bars), the keyspace, hot keys and ordering groups, the consumer
//! settings, then the stream's findings. Quiet streams of a large account are one line each in a
//! `<details>`, so 5,000 streams stay a few MB.
//!
//! The renderer draws an [`AuditView`], the report's view model
//! ([`AuditView::from_report`]): every figure, every hot or over-the-limit decision and the
//! ranking come from it; this module lays them out.

use std::fmt::Write as _;

use crate::Report;
use crate::keyspace::MAX_HASH;
use crate::model::ExportInfo;
use crate::model::limits::SHARD_WRITE_BYTES_PER_S;
use crate::view::audit::{
    AuditView, Bar, Basis, ChartKind, KeyMarker, KeyRange, Level, ObservedView, ShardChart,
    StreamView,
};

/// Above this many shards a per-shard chart shows the busiest shards sorted, one bar for the
/// others, and a heat strip of every shard in hash order (200 bars of 1 px say nothing).
pub const MAX_BARS: usize = 40;
const TOP_BARS: usize = 19;
/// Overview rows shown open; the rest of the ranking is one click away.
pub const OVERVIEW_ROWS: usize = 100;

fn basis_label(b: Basis) -> &'static str {
    match b {
        Basis::Observed => "observed",
        Basis::AtLeast => "observed mean",
        Basis::Placed => "observed × predicted",
        Basis::Samples => "samples",
        Basis::Predicted => "predicted",
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(super::visible_char(c).unwrap_or(c)),
        }
    }
    out
}

/// `text with `code`` → escaped HTML with `<code>` spans.
fn rich(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", esc(part));
        } else {
            out.push_str(&esc(part));
        }
    }
    out
}

fn thousands(n: f64) -> String {
    crate::numbers::thousands_f(n)
}

/// The last digits of a shard id (`shardId-000000000003` → `3`) for axis labels.
fn short_id(id: &str) -> String {
    let digits: String = id
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let digits: String = digits.chars().rev().collect();
    match digits.trim_start_matches('0') {
        "" if !digits.is_empty() => "0".into(),
        "" => id.to_string(),
        d => d.to_string(),
    }
}

/// One bar chart: a bar per shard, an optional limit line.
struct Chart<'a> {
    class: &'a str,
    title: String,
    /// One per shard, in hash order, each with its level.
    bars: &'a [Bar],
    /// Formats a value for labels.
    fmt: &'a dyn Fn(f64) -> String,
    /// The unit ticks are round in (1 for records, 1 MiB for bytes): 0.25 MiB, not 0.24.
    unit: f64,
    /// (value, label) of a limit line.
    limit: Option<(f64, String)>,
    /// A fixed top of the y axis (100% for shares).
    y_max: Option<f64>,
}

const CHART_W: f64 = 1000.0;
const CHART_H: f64 = 260.0;

fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 0.25;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let m = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|&m| f <= m + 1e-9)
        .unwrap_or(10.0);
    m * mag
}

/// The top of a y axis with four round steps (in `unit`s) and some headroom over `max`.
fn axis_top(max: f64, unit: f64) -> f64 {
    let unit = if unit > 0.0 { unit } else { 1.0 };
    let top = nice_step(max / unit * 1.1 / 4.0) * 4.0 * unit;
    if top > 0.0 { top } else { unit }
}

/// The y of a limit label: above its line, or below it when above would reach the title row.
fn label_y(line_y: f64, top: f64) -> f64 {
    if line_y - 6.0 < top + 12.0 {
        line_y + 15.0
    } else {
        line_y - 6.0
    }
}

fn chart(c: &Chart) -> String {
    let (left, right, top, bottom) = (72.0, 16.0, 34.0, 40.0);
    let plot_w = CHART_W - left - right;
    let plot_h = CHART_H - top - bottom;
    // Too many shards for bars: the busiest sorted, one bar for the rest, and a heat strip.
    let many = c.bars.len() > MAX_BARS;
    let bars: Vec<Bar> = if many {
        let mut sorted = c.bars.to_vec();
        sorted.sort_by(|a, b| {
            b.value
                .total_cmp(&a.value)
                .then(a.shard_id.cmp(&b.shard_id))
        });
        let rest = sorted.split_off(TOP_BARS);
        // The others' bar stands for the busiest of them, at the worst of their levels.
        sorted.push(Bar {
            shard_id: format!("{} others", rest.len()),
            value: rest.iter().map(|b| b.value).fold(0.0f64, f64::max),
            level: rest.iter().map(|b| b.level).max().unwrap_or_default(),
        });
        sorted
    } else {
        c.bars.to_vec()
    };
    let data_max = bars.iter().map(|b| b.value).fold(0.0f64, f64::max);
    let mut y_max = c.y_max.unwrap_or(data_max);
    if let Some((l, _)) = &c.limit {
        y_max = y_max.max(*l);
    }
    if c.y_max.is_none() {
        y_max = axis_top(y_max, c.unit);
    }
    if y_max <= 0.0 {
        y_max = 1.0;
    }
    let y = |v: f64| top + plot_h - (v / y_max).min(1.0) * plot_h;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart {}" viewBox="0 0 {CHART_W} {CHART_H}" role="img" aria-label="{}">"#,
        c.class,
        esc(&c.title)
    );
    let title = if many {
        format!(
            "{} — busiest {TOP_BARS} of {} shards, sorted",
            c.title,
            c.bars.len()
        )
    } else {
        c.title.clone()
    };
    let _ = write!(
        s,
        r#"<text class="chart-title" x="{left}" y="20">{}</text>"#,
        esc(&title)
    );
    // Grid: 4 steps.
    for i in 0..=4 {
        let v = y_max * i as f64 / 4.0;
        let yy = y(v);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{left}" x2="{}" y1="{yy:.1}" y2="{yy:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            left + plot_w,
            left - 8.0,
            yy + 4.0,
            esc(&(c.fmt)(v))
        );
    }
    let n = bars.len().max(1) as f64;
    let slot = plot_w / n;
    let bar_w = (slot * 0.72).max(1.0);
    let label_every = (bars.len() / 32).max(1);
    for (
        i,
        Bar {
            shard_id: id,
            value: v,
            level,
        },
    ) in bars.iter().enumerate()
    {
        let x = left + slot * i as f64 + (slot - bar_w) / 2.0;
        let yy = y(*v);
        let h = top + plot_h - yy;
        let others = many && i == bars.len() - 1;
        let cls = match level {
            Level::Over => "bar over",
            Level::Near => "bar hot",
            Level::Ok if others => "bar others",
            Level::Ok => "bar",
        };
        let tip = if others {
            format!("{id}: at most {}", (c.fmt)(*v))
        } else {
            format!("{id}: {}", (c.fmt)(*v))
        };
        let _ = write!(
            s,
            r#"<rect class="{cls}" data-shard="{}" x="{x:.1}" y="{yy:.1}" width="{bar_w:.1}" height="{:.1}"><title>{}</title></rect>"#,
            esc(id),
            h.max(0.0),
            esc(&tip)
        );
        if bars.len() <= 32 && *v > 0.0 {
            let _ = write!(
                s,
                r#"<text class="value" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x + bar_w / 2.0,
                yy - 6.0,
                esc(&(c.fmt)(*v))
            );
        }
        if i % label_every == 0 {
            let label = if others { id.clone() } else { short_id(id) };
            let _ = write!(
                s,
                r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x + bar_w / 2.0,
                top + plot_h + 16.0,
                esc(&label)
            );
        }
    }
    let _ = write!(
        s,
        r#"<line class="axis" x1="{left}" x2="{}" y1="{:.1}" y2="{:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="middle">shard</text>"#,
        left + plot_w,
        top + plot_h,
        top + plot_h,
        left + plot_w / 2.0,
        top + plot_h + 34.0
    );
    if let Some((l, label)) = &c.limit {
        let yy = y(*l);
        let _ = write!(
            s,
            r#"<line class="limit" x1="{left}" x2="{}" y1="{yy:.1}" y2="{yy:.1}"/><text class="limit-label" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            left + plot_w,
            left + plot_w - 4.0,
            label_y(yy, top),
            esc(label)
        );
    }
    s.push_str("</svg>");
    if many {
        s.push_str(&heat_strip(c));
    }
    s
}

/// Every shard in hash order as one cell, darker with load, red over the limit: where in the
/// keyspace the load sits, at any shard count.
fn heat_strip(c: &Chart) -> String {
    let busiest = c
        .bars
        .iter()
        .map(|b| b.value)
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let (left, right, top, h) = (72.0, 16.0, 22.0, 26.0);
    let w = CHART_W - left - right;
    let total_h = top + h + 20.0;
    let n = c.bars.len().max(1) as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="heat {}" viewBox="0 0 {CHART_W} {total_h}" role="img" aria-label="{} (every shard in hash order)"><text class="tick" x="{left}" y="14">Every shard in hash order (darker = busier, red = over the limit)</text>"#,
        c.class,
        esc(&c.title)
    );
    for (
        i,
        Bar {
            shard_id: id,
            value: v,
            level,
        },
    ) in c.bars.iter().enumerate()
    {
        let x = left + w * i as f64 / n;
        let fill = if *level == Level::Over {
            "#e8590c".to_string()
        } else {
            // Light to dark blue by value over the busiest shard's.
            let t = (v / busiest).clamp(0.0, 1.0);
            let l = 94.0 - t * 62.0;
            format!("hsl(217,80%,{l:.0}%)")
        };
        let _ = write!(
            s,
            r#"<rect x="{x:.2}" y="{top}" width="{:.2}" height="{h}" fill="{fill}"><title>{}: {}</title></rect>"#,
            (w / n).max(0.5),
            esc(id),
            esc(&(c.fmt)(*v))
        );
    }
    let _ = write!(
        s,
        r#"<text class="tick" x="{left}" y="{:.1}">{}</text><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text></svg>"#,
        top + h + 14.0,
        esc(&c
            .bars
            .first()
            .map(|b| short_id(&b.shard_id))
            .unwrap_or_default()),
        left + w,
        top + h + 14.0,
        esc(&c
            .bars
            .last()
            .map(|b| short_id(&b.shard_id))
            .unwrap_or_default())
    );
    s
}

/// A line chart over time: one or more series, an optional horizontal limit (capacity) and
/// marked periods (throttling) along the bottom.
struct TimeChart<'a> {
    class: &'a str,
    title: String,
    series: Vec<Line<'a>>,
    fmt: &'a dyn Fn(f64) -> String,
    unit: f64,
    limit: Option<(f64, String)>,
    /// (Unix seconds, value): periods drawn as red ticks under the plot, with a legend.
    marks: Option<(&'a [(i64, f64)], String)>,
    window: (i64, i64),
}

/// One series of a [`TimeChart`]: legend, CSS class, points (Unix seconds, value).
struct Line<'a>(String, &'a str, &'a [(i64, f64)]);

/// Hour-and-minute ticks on a round interval for the window's length.
fn time_ticks(from: i64, to: i64) -> Vec<i64> {
    let span = (to - from).max(60);
    let step = [
        60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
    ]
    .into_iter()
    .find(|&st| span / st <= 8)
    .unwrap_or(604800);
    let first = (from + step - 1).div_euclid(step) * step;
    (0..)
        .map(|i| first + i * step)
        .take_while(|&t| t <= to)
        .collect()
}

fn timechart(c: &TimeChart) -> String {
    let (left, right, top, bottom) = (72.0, 16.0, 46.0, 36.0);
    let plot_w = CHART_W - left - right;
    let plot_h = 200.0 - top - bottom;
    let (from, to) = (c.window.0, c.window.1.max(c.window.0 + 1));
    let mut max = c
        .series
        .iter()
        .flat_map(|s| s.2.iter().map(|p| p.1))
        .fold(0.0f64, f64::max);
    if let Some((l, _)) = &c.limit {
        max = max.max(*l);
    }
    let y_max = axis_top(max, c.unit);
    let x = |t: i64| left + (t - from) as f64 / (to - from) as f64 * plot_w;
    let y = |v: f64| top + plot_h - (v / y_max).clamp(0.0, 1.0) * plot_h;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="timechart {}" viewBox="0 0 {CHART_W} 200" role="img" aria-label="{}"><text class="chart-title" x="{left}" y="18">{}</text>"#,
        c.class,
        esc(&c.title),
        esc(&c.title)
    );
    // Legend: its own row under the title, so neither covers the other.
    let mut lx = left;
    for Line(label, class, _) in &c.series {
        let _ = write!(
            s,
            r#"<line class="ts {class}" x1="{lx}" x2="{}" y1="32" y2="32"/><text class="tick" x="{}" y="36">{}</text>"#,
            lx + 18.0,
            lx + 22.0,
            esc(label)
        );
        lx += 34.0 + label.chars().count() as f64 * 6.2;
    }
    if let Some((_, label)) = &c.marks {
        let _ = write!(
            s,
            r#"<rect class="mark" x="{lx}" y="27" width="8" height="10"/><text class="tick" x="{}" y="36">{}</text>"#,
            lx + 12.0,
            esc(label)
        );
    }
    for i in 0..=4 {
        let v = y_max * i as f64 / 4.0;
        let yy = y(v);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{left}" x2="{}" y1="{yy:.1}" y2="{yy:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            left + plot_w,
            left - 8.0,
            yy + 4.0,
            esc(&(c.fmt)(v))
        );
    }
    for t in time_ticks(from, to) {
        let xx = x(t);
        let iso = crate::observed::iso(t);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{xx:.1}" x2="{xx:.1}" y1="{top}" y2="{:.1}"/><text class="tick" x="{xx:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            top + plot_h,
            top + plot_h + 16.0,
            &iso[11..16]
        );
    }
    let _ = write!(
        s,
        r#"<text class="tick" x="{}" y="{:.1}" text-anchor="end">UTC, {} to {}</text>"#,
        left + plot_w,
        top + plot_h + 32.0,
        esc(&crate::observed::minute(from)),
        esc(&crate::observed::minute(to))
    );
    if let Some((marks, _)) = &c.marks {
        let w = (plot_w / ((to - from) as f64 / 60.0).max(1.0)).max(2.0);
        for (t, v) in marks.iter() {
            let _ = write!(
                s,
                r#"<rect class="mark" x="{:.1}" y="{:.1}" width="{w:.1}" height="6"><title>{}: {} rejected</title></rect>"#,
                x(*t),
                top + plot_h - 6.0,
                esc(&crate::observed::minute(*t)),
                esc(&thousands(*v))
            );
        }
    }
    for Line(label, class, points) in &c.series {
        let mut d = String::new();
        for (i, (t, v)) in points.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1} {:.1}",
                if i == 0 { "M" } else { " L" },
                x(*t),
                y(*v)
            );
        }
        let _ = write!(
            s,
            r#"<path class="ts {class}" d="{d}"><title>{}</title></path>"#,
            esc(label)
        );
    }
    if let Some((l, label)) = &c.limit {
        let yy = y(*l);
        let _ = write!(
            s,
            r#"<line class="limit" x1="{left}" x2="{}" y1="{yy:.1}" y2="{yy:.1}"/><text class="limit-label" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            left + plot_w,
            left + plot_w - 4.0,
            label_y(yy, top),
            esc(label)
        );
    }
    let _ = write!(
        s,
        r#"<line class="axis" x1="{left}" x2="{}" y1="{:.1}" y2="{:.1}"/></svg>"#,
        left + plot_w,
        top + plot_h,
        top + plot_h
    );
    s
}

fn keyspace_strip(ranges: &[KeyRange], markers: &[KeyMarker]) -> String {
    let (left, right) = (12.0, 12.0);
    let w = CHART_W - left - right;
    let (top, h) = if markers.is_empty() {
        (8.0, 34.0)
    } else {
        (30.0, 34.0)
    };
    let total_h = top + h + 24.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="keyspace" viewBox="0 0 {CHART_W} {total_h}" role="img" aria-label="hash key ranges of the open shards">"#
    );
    let frac = |v: u128| (v as f64) / (MAX_HASH as f64);
    for (i, r) in ranges.iter().enumerate() {
        let x0 = left + frac(r.start) * w;
        let x1 = left + frac(r.end) * w;
        let share = ((r.end - r.start) as f64 + 1.0) / (MAX_HASH as f64 + 1.0);
        let _ = write!(
            s,
            r#"<rect class="range r{}" x="{x0:.1}" y="{top}" width="{:.1}" height="{h}"><title>{}: {:.1}% of the hash space</title></rect>"#,
            i % 2,
            (x1 - x0).max(0.5),
            esc(&r.shard_id),
            share * 100.0
        );
        if x1 - x0 > 22.0 {
            let _ = write!(
                s,
                r#"<text class="range-label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                (x0 + x1) / 2.0,
                top + h / 2.0 + 4.0,
                esc(&short_id(&r.shard_id))
            );
        }
    }
    for m in markers {
        let x = left + frac(m.hash) * w;
        let _ = write!(
            s,
            r#"<path class="marker" d="M{:.1} {:.1} L{:.1} {:.1} L{:.1} {:.1} Z"/><line class="marker-line" x1="{x:.1}" x2="{x:.1}" y1="{:.1}" y2="{:.1}"/><text class="marker-label" x="{x:.1}" y="14" text-anchor="{}">key {} → {}</text>"#,
            x - 6.0,
            top - 10.0,
            x + 6.0,
            top - 10.0,
            x,
            top - 1.0,
            top,
            top + h,
            if x > CHART_W * 0.7 {
                "end"
            } else if x < CHART_W * 0.3 {
                "start"
            } else {
                "middle"
            },
            esc(&format!("\"{}\"", m.label)),
            esc(&m.shard_id)
        );
    }
    let _ = write!(
        s,
        r#"<text class="tick" x="{left}" y="{:.1}">0</text><text class="tick" x="{}" y="{:.1}" text-anchor="end">2¹²⁸ − 1</text><text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">MD5(partition key)</text>"#,
        top + h + 16.0,
        left + w,
        top + h + 16.0,
        left + w / 2.0,
        top + h + 16.0
    );
    s.push_str("</svg>");
    s
}

fn pct(v: f64) -> String {
    crate::numbers::pct_short(v)
}

fn per_s(v: f64) -> String {
    format!("{}/s", thousands(v))
}

/// `0.25 MiB/s`, `1 MiB/s`, `0.125 MiB/s`: as many decimals as the value needs, up to three.
fn mib_per_s(v: f64) -> String {
    let m = v / SHARD_WRITE_BYTES_PER_S;
    let t = format!("{m:.3}");
    let t = t.trim_end_matches('0').trim_end_matches('.');
    format!("{t} MiB/s")
}

fn ms(v: f64) -> String {
    crate::numbers::duration_ms(v)
}

/// Axis ticks of an age: `20 min`, `1 h 20 min`, `2 h`, else as [`ms`].
fn age_tick(v: f64) -> String {
    let m = (v / 60_000.0).round() as u64;
    if v >= 60_000.0 && (v - m as f64 * 60_000.0).abs() < 1.0 {
        return match (m / 60, m % 60) {
            (0, m) => format!("{m} min"),
            (h, 0) => format!("{h} h"),
            (h, m) => format!("{h} h {m} min"),
        };
    }
    ms(v)
}

type Style = (
    &'static str,
    String,
    fn(f64) -> String,
    f64,
    Option<&'static str>,
    Option<f64>,
);

/// A per-shard chart of the view model, titled and scaled for its kind.
fn shard_chart(c: &ShardChart) -> String {
    const RECORDS_LIMIT: &str = "1,000 records/s per-shard write limit";
    const BYTES_LIMIT: &str = "1 MiB/s per-shard write limit";
    // (class, title, value format, axis unit, limit label, fixed y top)
    let (class, title, fmt, unit, limit_label, y_max): Style = match c.kind {
        ChartKind::ObservedPeaks { .. } => (
            "observed-shards",
            "Observed peak write rate per shard (records/s)".into(),
            per_s,
            1.0,
            Some(RECORDS_LIMIT),
            None,
        ),
        ChartKind::SampledRate => (
            "records",
            "Write rate per shard (records/s)".into(),
            per_s,
            1.0,
            Some(RECORDS_LIMIT),
            None,
        ),
        ChartKind::SampledRecords => (
            "records",
            "Records per shard".into(),
            thousands,
            1.0,
            None,
            None,
        ),
        ChartKind::SampledBytes => (
            "bytes",
            "Write throughput per shard (MiB/s)".into(),
            mib_per_s,
            SHARD_WRITE_BYTES_PER_S,
            Some(BYTES_LIMIT),
            None,
        ),
        ChartKind::SampledPeaks => (
            "peaks",
            "Busiest second per shard (records in one second, from sample timestamps)".into(),
            thousands,
            1.0,
            Some(RECORDS_LIMIT),
            None,
        ),
        ChartKind::PredictedRate { records_per_s } => (
            "records",
            format!(
                "Predicted write rate per shard at the configured {} records/s",
                thousands(records_per_s)
            ),
            per_s,
            1.0,
            Some(RECORDS_LIMIT),
            None,
        ),
        ChartKind::PredictedShare => (
            "records",
            "Predicted share of records per shard (no rate configured)".into(),
            pct,
            0.01,
            None,
            Some(1.0),
        ),
        ChartKind::PredictedBytes { bytes_per_s } => (
            "bytes",
            format!(
                "Predicted throughput per shard at the configured {}",
                mib_per_s(bytes_per_s)
            ),
            mib_per_s,
            SHARD_WRITE_BYTES_PER_S,
            Some(BYTES_LIMIT),
            None,
        ),
    };
    chart(&Chart {
        class,
        title,
        bars: &c.bars,
        fmt: &fmt,
        unit,
        limit: c
            .kind
            .limit()
            .zip(limit_label)
            .map(|(l, label)| (l, label.to_string())),
        y_max,
    })
}

fn stream_section(report: &Report, v: &StreamView, hot_key_share: f64) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<section class="stream" id="{}"><h3>{} <span class="muted">{}{} · {} · {}</span> <a class="top" href="#overview">↑ overview</a></h3>"##,
        v.anchor,
        esc(&v.name),
        v.region
            .as_deref()
            .map(|r| format!("{} · ", esc(r)))
            .unwrap_or_default(),
        esc(&v.address),
        esc(&v.mode),
        esc(&v.location)
    );
    if let Some(o) = &v.observed {
        s.push_str(&observed_section(o));
    }
    // Charts, as the view model chose them.
    s.push_str(r#"<div class="subsection"><h4>Records per shard</h4>"#);
    let mut measured_note = false;
    if v.shows_prediction
        && let Some(p) = &v.prediction
    {
        let _ = write!(s, r#"<p class="note">{}</p>"#, rich(&p.text));
    }
    for c in &v.charts {
        match c.kind {
            ChartKind::ObservedPeaks { period_s } => {
                let _ = write!(
                    s,
                    r#"<p class="note">Observed: each shard's busiest {} of <code>IncomingRecords</code> (enhanced shard-level monitoring), as records/s.</p>"#,
                    if period_s == 60 {
                        "minute".to_string()
                    } else {
                        format!("{period_s} s period")
                    }
                );
            }
            ChartKind::SampledRate | ChartKind::SampledRecords if !measured_note => {
                if let Some(d) = &v.distribution {
                    let _ = write!(
                        s,
                        r#"<p class="note">Measured from {} ({} records).</p>"#,
                        esc(&d.source),
                        thousands(d.total_records as f64)
                    );
                }
                measured_note = true;
            }
            _ => {}
        }
        s.push_str(&shard_chart(c));
    }
    let drew = !v.charts.is_empty() || v.distribution.is_some();
    if !drew {
        s.push_str(r#"<p class="empty">No samples: per-shard load needs sampled records, or a constant or random key to predict from.</p>"#);
    }
    s.push_str("</div>");

    // Keyspace.
    s.push_str(r#"<div class="subsection"><h4>Keyspace of the open shards</h4>"#);
    if v.keyspace.is_empty() {
        s.push_str(r#"<p class="empty">Shard map unknown (on-demand stream, or shard count not known statically).</p>"#);
    } else {
        s.push_str(&keyspace_strip(&v.keyspace, &v.key_markers));
    }
    s.push_str("</div>");

    // Hot keys and ordering groups.
    s.push_str(r#"<div class="subsection two"><div><h4>Hot keys</h4>"#);
    match &v.distribution {
        Some(d) if !d.hot_keys.is_empty() => {
            s.push_str(r#"<table class="hot-keys"><thead><tr><th>Partition key</th><th>Records</th><th>Share</th><th>Shard</th></tr></thead><tbody>"#);
            for k in &d.hot_keys {
                let _ = write!(
                    s,
                    r#"<tr{}><td><code>{}</code>{}</td><td class="num">{}</td><td class="num">{}</td><td>{}</td></tr>"#,
                    if k.hot { r#" class="hot""# } else { "" },
                    esc(&k.key),
                    if k.hot {
                        r#" <span class="hot-mark">hot</span>"#
                    } else {
                        ""
                    },
                    thousands(k.records as f64),
                    pct(k.share),
                    esc(&k.shard_id)
                );
            }
            s.push_str("</tbody></table>");
            if d.hot_keys.iter().any(|k| k.hot) {
                let _ = write!(
                    s,
                    r#"<p class="note">Hot: more than {} of its shard's records (<code>hot-key-share</code>).</p>"#,
                    pct(hot_key_share)
                );
            }
        }
        Some(_) => s.push_str(r#"<p class="empty">No key stands out in the samples.</p>"#),
        None => {
            if v.key_markers.len() == 1 {
                let _ = write!(
                    s,
                    r#"<table class="hot-keys"><thead><tr><th>Partition key</th><th>Records</th><th>Share</th><th>Shard</th></tr></thead><tbody><tr><td><code>{}</code></td><td class="num">all</td><td class="num">100%</td><td>{}</td></tr></tbody></table><p class="note">Static: the only key this stream receives.</p>"#,
                    esc(&v.key_markers[0].label),
                    esc(&v.key_markers[0].shard_id)
                );
            } else {
                s.push_str(r#"<p class="empty">No samples.</p>"#);
            }
        }
    }
    s.push_str(r#"</div><div><h4>Ordering groups</h4>"#);
    match &v.distribution {
        Some(d) if !d.groups.is_empty() => {
            s.push_str(r#"<table class="groups"><thead><tr><th>Shard</th><th>Group</th><th>Keys</th><th>Records</th></tr></thead><tbody>"#);
            for g in &d.groups {
                let mut keys: Vec<String> = g.keys.iter().take(8).map(|k| esc(k)).collect();
                if g.keys.len() > 8 {
                    keys.push(format!("… {} more", g.keys.len() - 8));
                }
                let _ = write!(
                    s,
                    r#"<tr><td>{}</td><td class="num">{}</td><td><code>{}</code></td><td class="num">{}</td></tr>"#,
                    esc(&g.shard_id),
                    g.group,
                    keys.join(", "),
                    thousands(g.records as f64)
                );
            }
            s.push_str("</tbody></table>");
        }
        _ => s.push_str(r#"<p class="empty">No samples.</p>"#),
    }
    s.push_str("</div></div>");
    s.push_str(&consumers_section(v));
    if !v.findings.is_empty() {
        let _ = write!(
            s,
            r#"<div class="subsection"><h4>Findings ({})</h4>"#,
            v.findings.len()
        );
        s.push_str(&findings_table(report, &v.findings));
        s.push_str("</div>");
    }
    s.push_str("</section>");
    s
}

/// The write rate against capacity, with throttled periods marked, and IteratorAge.
fn observed_section(o: &ObservedView) -> String {
    let mut s = String::from(r#"<div class="subsection"><h4>Observed (CloudWatch)</h4>"#);
    if !o.write_rate.is_empty() || !o.throttled.is_empty() {
        let limit = o.capacity_per_s.zip(o.open_shards).map(|(c, n)| {
            (
                c,
                format!(
                    "capacity {}/s ({} open shards × 1,000)",
                    thousands(c),
                    thousands(n as f64)
                ),
            )
        });
        let marks_label = format!(
            "throttled ({} records rejected in {} periods)",
            thousands(o.throttled_records),
            o.throttled.len()
        );
        s.push_str(&timechart(&TimeChart {
            class: "write-rate",
            title: "Write rate against the stream's capacity (records/s)".into(),
            series: vec![Line(
                "IncomingRecords per second".into(),
                "rate",
                o.write_rate.as_slice(),
            )],
            fmt: &per_s,
            unit: 1.0,
            limit,
            marks: (!o.throttled.is_empty()).then_some((o.throttled.as_slice(), marks_label)),
            window: o.window,
        }));
    }
    if !o.ages.is_empty() {
        let classes = ["age0", "age1", "age2", "age3"];
        let max = o.max_age_ms.unwrap_or(0.0);
        let unit = if max >= 120_000.0 { 60_000.0 } else { 1_000.0 };
        s.push_str(&timechart(&TimeChart {
            class: "iterator-age",
            title: "IteratorAge (how far behind the consumers read)".into(),
            series: o
                .ages
                .iter()
                .enumerate()
                .map(|(i, (l, p))| {
                    Line(l.replace('`', ""), classes[i % classes.len()], p.as_slice())
                })
                .collect(),
            fmt: &age_tick,
            unit,
            limit: None,
            marks: None,
            window: o.window,
        }));
    }
    s.push_str("</div>");
    s
}

fn consumers_section(v: &StreamView) -> String {
    let mut s = String::from(r#"<div class="subsection"><h4>Consumers</h4>"#);
    if v.consumers.is_empty() {
        s.push_str(
            r#"<p class="empty">No event source mapping reads this stream in the inputs.</p>"#,
        );
    } else {
        // One column per mapping, one row per setting: nine settings do not fit across.
        s.push_str(r#"<div class="scroll"><table class="consumers"><thead><tr><th>Setting</th>"#);
        for c in &v.consumers {
            let _ = write!(
                s,
                r#"<th><code>{}</code> <span class="muted">{}</span></th>"#,
                esc(&c.function),
                esc(&c.address)
            );
        }
        s.push_str("</tr></thead><tbody>");
        for (row, (name, _)) in v.consumers[0].settings.iter().enumerate() {
            let _ = write!(s, "<tr><td>{}</td>", esc(name));
            for c in &v.consumers {
                let _ = write!(
                    s,
                    "<td>{}</td>",
                    esc(c.settings.get(row).map_or("", |x| x.1.as_str()))
                );
            }
            s.push_str("</tr>");
        }
        s.push_str("</tbody></table></div>");
    }
    if !v.producers.is_empty() {
        s.push_str(r#"<h4>Producers</h4><ul class="producers">"#);
        for p in &v.producers {
            let _ = write!(s, "<li>{}</li>", rich(p));
        }
        s.push_str("</ul>");
    }
    s.push_str("</div>");
    s
}

fn findings_table(report: &Report, which: &[usize]) -> String {
    let db = &report.db;
    let mut h = String::from(
        r#"<table class="findings"><thead><tr><th>Severity</th><th>Rule</th><th>Location</th><th>Finding</th></tr></thead><tbody>"#,
    );
    for &fi in which {
        let f = &report.findings[fi];
        let p = db.start(f.span);
        let url = Some(f.meta.doc_url());
        let rule = match url {
            Some(u) => format!(
                r#"<a href="{}"><b>{}</b></a><br><span class="muted">{}</span>"#,
                esc(&u),
                f.code(),
                esc(f.rule())
            ),
            None => format!("<b>{}</b>", f.code()),
        };
        let mut related = String::new();
        for r in &f.related {
            let rp = db.start(r.span);
            let _ = write!(
                related,
                r#"<p class="rel">↳ {} — <code>{}:{}:{}</code></p>"#,
                rich(&r.message),
                esc(&db.get(r.span.file).display_name()),
                rp.line,
                rp.column
            );
        }
        let sev = f.severity.as_str();
        let _ = write!(
            h,
            r#"<tr class="finding {sev}"><td><span class="sev {sev}">{sev}</span></td><td>{rule}</td><td><code>{}:{}:{}</code><br><span class="muted">{}</span></td><td class="msg"><p>{}</p><p class="help">Help: {}</p>{related}</td></tr>"#,
            esc(&db.get(f.span.file).display_name()),
            p.line,
            p.column,
            esc(&f.path),
            rich(&f.message),
            rich(&f.help)
        );
    }
    h.push_str("</tbody></table>");
    h
}

const CSS: &str = r#"
:root { --fg:#1f2328; --muted:#656d76; --line:#d0d7de; --bg:#f6f8fa; --err:#cf222e; --warn:#bf8700; --info:#0969da; --bar:#4c8bf5; --hot:#e8590c; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color:var(--fg); background:#fff; }
main { max-width:1120px; margin:0 auto; padding:24px 32px 48px; }
header { border-bottom:1px solid var(--line); margin-bottom:20px; padding-bottom:12px; }
h1 { font-size:24px; margin:0 0 4px; } h2 { font-size:19px; margin:28px 0 12px; } h3 { font-size:16px; margin:0 0 10px; } h4 { font-size:13px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); margin:14px 0 6px; }
.muted, .note { color:var(--muted); font-weight:normal; } .note { margin:4px 0 8px; } .empty { color:var(--muted); font-style:italic; margin:4px 0; }
code { font:12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background:var(--bg); border:1px solid #eaeef2; border-radius:4px; padding:0 4px; }
.cards { display:flex; flex-wrap:wrap; gap:10px; }
.card { border:1px solid var(--line); border-radius:8px; padding:10px 14px; min-width:118px; background:#fff; }
.card .n { font-size:24px; font-weight:600; display:block; } .card .l { color:var(--muted); font-size:12px; }
.card.error .n { color:var(--err); } .card.warning .n { color:var(--warn); } .card.info .n { color:var(--info); }
.stream { content-visibility:auto; contain-intrinsic-size:auto 1400px; border:1px solid var(--line); border-radius:10px; padding:16px 18px; margin:0 0 18px; }
.subsection.two { display:grid; grid-template-columns:1fr 1fr; gap:24px; }
svg { width:100%; height:auto; display:block; }
.chart-title { font-size:14px; font-weight:600; fill:var(--fg); }
.grid { stroke:#eaeef2; } .axis { stroke:#8c959f; } .tick { font-size:11px; fill:var(--muted); }
.bar { fill:var(--bar); } .bar.hot, .bar.over { fill:var(--hot); }
.value { font-size:11px; font-weight:600; fill:var(--fg); }
.limit { stroke:var(--err); stroke-width:2; stroke-dasharray:6 4; } .limit-label { font-size:12px; fill:var(--err); font-weight:600; }
.range.r0 { fill:#b6d4fe; } .range.r1 { fill:#8fbcf9; } .range { stroke:#fff; stroke-width:1; }
.range-label { font-size:11px; fill:#0b3d91; }
.marker { fill:var(--hot); } .marker-line { stroke:var(--hot); stroke-width:2; } .marker-label { font-size:12px; font-weight:600; fill:var(--hot); }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { text-align:left; border-bottom:1px solid var(--line); padding:6px 8px; vertical-align:top; }
th { background:var(--bg); font-weight:600; } td.num { text-align:right; font-variant-numeric:tabular-nums; }
.sev { display:inline-block; border-radius:10px; padding:0 8px; font-size:12px; font-weight:600; color:#fff; }
.sev.error { background:var(--err); } .sev.warning { background:var(--warn); } .sev.info { background:var(--info); }
.findings td.msg p { margin:0 0 4px; } .findings .help { color:var(--muted); } .findings .rel { color:var(--muted); font-size:12px; }
a { color:var(--info); text-decoration:none; }
footer { margin-top:32px; color:var(--muted); font-size:12px; }
.facts { display:flex; flex-wrap:wrap; gap:6px 28px; margin:8px 0; } .facts dt { color:var(--muted); font-size:12px; } .facts dd { margin:0; font-weight:600; }
.failures summary { color:var(--err); font-weight:600; cursor:pointer; } .ok { color:#1a7f37; margin:4px 0; }
#summary { margin-bottom:8px; }
table.overview td, table.overview th { padding:3px 8px; } table.overview td:nth-child(n+4), table.overview th:nth-child(n+4), table.overview td:first-child { text-align:right; font-variant-numeric:tabular-nums; }
table.overview tr.error td:nth-child(4) { color:var(--err); font-weight:600; } table.overview tr.warning td:nth-child(5) { color:var(--warn); font-weight:600; } table.overview i, details.quiet i { color:var(--muted); font-style:normal; }
.over { color:var(--err); font-weight:600; } .near { color:var(--warn); font-weight:600; }
a.top { font-size:12px; font-weight:normal; margin-left:8px; }
.bar.others { fill:#8c959f; }
tr.hot td { background:#fff4e6; } .hot-mark { color:var(--hot); font-weight:600; font-size:12px; }
.ts { fill:none; stroke-width:2; } .ts.rate { stroke:var(--bar); } .ts.age0 { stroke:#8250df; } .ts.age1 { stroke:#1a7f37; } .ts.age2 { stroke:#bf8700; } .ts.age3 { stroke:#0969da; }
.mark { fill:var(--err); }
details.quiet summary, details.more summary { cursor:pointer; font-weight:600; margin:8px 0; } details.quiet li { margin:2px 0; }
.scroll { overflow-x:auto; } table.consumers { font-size:12px; width:auto; } table.consumers td:first-child { color:var(--muted); } ul.producers { margin:4px 0; padding-left:20px; }
"#;

fn card(n: usize, label: &str, class: &str) -> String {
    format!(
        r#"<div class="card {class}"><span class="n">{}</span><span class="l">{label}</span></div>"#,
        thousands(n as f64)
    )
}

/// The header: what the export is of, or what was read.
fn header(report: &Report, input: &AuditView) -> String {
    let mut h = String::from(r#"<header><h1>shardlint audit report</h1>"#);
    if input.exports.is_empty() {
        let _ = write!(
            h,
            r#"<div class="muted">{} · shardlint {}</div>"#,
            esc(&super::human::summary_line(report)),
            env!("CARGO_PKG_VERSION")
        );
    } else {
        let join = |f: &dyn Fn(&ExportInfo) -> Vec<String>| {
            let mut v: Vec<String> = input.exports.iter().flat_map(f).collect();
            v.sort();
            v.dedup();
            if v.is_empty() {
                "unknown".to_string()
            } else {
                v.join(", ")
            }
        };
        let account = join(&|e| e.account.iter().cloned().collect());
        let regions = join(&|e| e.regions.clone());
        let at = join(&|e| e.exported_at.iter().cloned().collect());
        let window = join(&|e| match (&e.window_start, &e.window_end) {
            (Some(a), Some(b)) => vec![format!("{a} to {b}")],
            _ => Vec::new(),
        });
        let cli = join(&|e| {
            e.aws_cli_version
                .iter()
                .map(|v| v.split(' ').next().unwrap_or(v).to_string())
                .collect()
        });
        let _ = write!(
            h,
            r#"<dl class="facts"><div><dt>Account</dt><dd>{}</dd></div><div><dt>Regions</dt><dd>{}</dd></div><div><dt>Exported</dt><dd>{}</dd></div><div><dt>Metrics window</dt><dd>{}</dd></div><div><dt>AWS CLI</dt><dd>{}</dd></div></dl>"#,
            esc(&account),
            esc(&regions),
            esc(&at),
            esc(&window),
            esc(&cli)
        );
        let failures: Vec<&String> = input.exports.iter().flat_map(|e| &e.failures).collect();
        if failures.is_empty() {
            h.push_str(r#"<p class="ok">Every export call succeeded.</p>"#);
        } else {
            let _ = write!(
                h,
                r#"<details class="failures" open><summary>The export is partial: {} failed (see manifest.json)</summary><ul>"#,
                crate::numbers::plural(failures.len() as u64, "call", "calls")
            );
            for f in failures {
                let _ = write!(h, "<li><code>{}</code></li>", esc(f));
            }
            h.push_str("</ul></details>");
        }
        let _ = write!(
            h,
            r#"<div class="muted">{} · shardlint {}</div>"#,
            esc(&super::human::summary_line(report)),
            env!("CARGO_PKG_VERSION")
        );
    }
    h.push_str("</header>");
    h
}

/// Every stream, worst first, each linked to its card or line.
fn overview(input: &AuditView) -> String {
    let mut h = String::from(r#"<section id="overview"><h2>Streams, worst first</h2>"#);
    if input.streams.is_empty() {
        h.push_str(r#"<p class="empty">No Kinesis stream in the inputs.</p></section>"#);
        return h;
    }
    // Rows without closing tags and with alignment in CSS: 5,000 rows stay under 1 MB.
    const THEAD: &str = r#"<table class="overview"><thead><tr><th>#</th><th>Stream</th><th>Shards</th><th>Errors</th><th>Warnings</th><th>Throttled writes</th><th>Peak shard load</th><th>Max IteratorAge</th><th>Producers</th><th>Consumers</th></tr></thead><tbody>"#;
    h.push_str(THEAD);
    for (rank, &i) in input.ranking.iter().enumerate() {
        // The rest of a long ranking in a closed <details>: Chromium lays out 5,000 table
        // rows in seconds, a closed <details> not at all.
        if rank == OVERVIEW_ROWS {
            let _ = write!(
                h,
                "</tbody></table><details class=more><summary>The other {} streams, ranked</summary>{THEAD}",
                thousands((input.ranking.len() - OVERVIEW_ROWS) as f64)
            );
        }
        let v = &input.streams[i];
        let throttled = match &v.observed {
            Some(o) if o.throttled_records > 0.0 => format!(
                "{} <i>in {} periods</i>",
                thousands(o.throttled_records),
                o.throttled.len()
            ),
            Some(o) if !o.write_rate.is_empty() => "0".into(),
            _ => "—".into(),
        };
        let peak = match v.peak_utilisation {
            Some(u) => format!(
                "<span class={}>{}{}</span> <i>{}</i>",
                match u.level {
                    Level::Over => "over",
                    Level::Near => "near",
                    Level::Ok => "ok",
                },
                if u.at_least { "≥ " } else { "" },
                pct(u.value),
                basis_label(u.basis)
            ),
            None => "—".into(),
        };
        let age = v
            .observed
            .as_ref()
            .and_then(|o| o.max_age_ms)
            .map_or("—".into(), ms);
        let cls = if v.errors > 0 {
            " class=error"
        } else if v.warnings > 0 {
            " class=warning"
        } else {
            ""
        };
        let _ = write!(
            h,
            "<tr{cls}><td>{}<td><a href=#{}>{}</a>{}<td>{}<td>{}<td>{}<td>{}<td>{}<td>{}<td>{}<td>{}",
            rank + 1,
            v.anchor,
            esc(&v.name),
            v.region
                .as_deref()
                .map(|r| format!(" <i>{}</i>", esc(r)))
                .unwrap_or_default(),
            esc(&v.shards),
            v.errors,
            v.warnings,
            throttled,
            peak,
            age,
            v.producers.len(),
            v.consumers.len()
        );
    }
    h.push_str("</tbody></table>");
    if input.ranking.len() > OVERVIEW_ROWS {
        h.push_str("</details>");
    }
    h.push_str("</section>");
    h
}

/// A stream with nothing to say in a large report: one line.
fn quiet_line(v: &StreamView) -> String {
    let rate = v
        .observed
        .as_ref()
        .and_then(|o| o.peak_write_rate)
        .map(|r| format!(" · peak {}/s", thousands(r)))
        .unwrap_or_default();
    format!(
        "<li id={}><b>{}</b> <i>{}{}{}</i>",
        v.anchor,
        esc(&v.name),
        v.region
            .as_deref()
            .map(|r| format!("{} · ", esc(r)))
            .unwrap_or_default(),
        esc(&v.mode),
        rate,
    )
}

/// Renders the report. `input` is its view model (see [`AuditView::from_report`]).
pub fn render(report: &Report, input: &AuditView) -> String {
    let db = &report.db;
    let s = &report.summary;
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str(r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#);
    h.push_str("<title>shardlint audit report</title><style>");
    h.push_str(CSS);
    h.push_str("</style></head><body><main>");
    h.push_str(&header(report, input));

    h.push_str(r#"<section id="summary"><div class="cards">"#);
    h.push_str(&card(s.streams, "streams", ""));
    h.push_str(&card(s.errors, "errors", "error"));
    h.push_str(&card(s.warnings, "warnings", "warning"));
    h.push_str(&card(s.infos, "infos", "info"));
    if let Some(throttled) = input.throttled_streams {
        h.push_str(&card(throttled, "streams throttled on write", "error"));
    }
    h.push_str(&card(s.topic_rules, "IoT topic rules", ""));
    h.push_str(&card(s.mappings, "event source mappings", ""));
    if s.suppressed > 0 {
        h.push_str(&card(s.suppressed, "suppressed", ""));
    }
    if s.input_errors > 0 {
        h.push_str(&card(s.input_errors, "unreadable inputs", "error"));
    }
    h.push_str("</div></section>");

    h.push_str(&overview(input));

    h.push_str(r#"<section id="streams"><h2>Streams</h2>"#);
    for &i in &input.cards {
        h.push_str(&stream_section(
            report,
            &input.streams[i],
            input.thresholds.hot_key_share,
        ));
    }
    if !input.quiet.is_empty() {
        let _ = write!(
            h,
            r#"<details class="quiet"><summary>{} with nothing to report (no finding, no throttling, no samples)</summary><ul>"#,
            crate::numbers::plural(input.quiet.len() as u64, "stream", "streams")
        );
        for &i in &input.quiet {
            h.push_str(&quiet_line(&input.streams[i]));
        }
        h.push_str("</ul></details>");
    }
    h.push_str("</section>");

    h.push_str(r#"<section id="findings"><h2>Other findings</h2>"#);
    if input.other_findings.is_empty() {
        h.push_str(r#"<p class="empty">None: every finding is shown with its stream above.</p>"#);
    } else {
        h.push_str(&findings_table(report, &input.other_findings));
    }
    if !report.errors.is_empty() {
        h.push_str(r#"<h3 style="margin-top:18px">Inputs that could not be read</h3><table class="input-errors"><thead><tr><th>File</th><th>Problem</th></tr></thead><tbody>"#);
        for e in &report.errors {
            let loc = match e.span {
                Some(sp) => {
                    let p = db.start(sp);
                    format!("{}:{}:{}", e.file, p.line, p.column)
                }
                None => e.file.clone(),
            };
            let _ = write!(
                h,
                r#"<tr><td><code>{}</code></td><td>{}{}</td></tr>"#,
                esc(&loc),
                rich(&e.message),
                e.help
                    .as_ref()
                    .map(|x| format!(r#"<br><span class="muted">Help: {}</span>"#, rich(x)))
                    .unwrap_or_default()
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section>");
    h.push_str(r#"<footer>Generated by shardlint. Per-shard limits: 1,000 records/s and 1 MiB/s of writes. Observed figures are CloudWatch's; sampled figures come from the records given; predictions without either are static and assume the configuration shown.</footer>"#);
    h.push_str("</main></body></html>\n");
    h
}
