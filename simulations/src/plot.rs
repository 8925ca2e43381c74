//! Hand-written SVG plots: latency CDFs of the protocol against the oracle and the baselines
//! (hours on a logarithmic axis), the resolution's way back, and register freshness over time.

use std::fmt::Write;

use crate::metrics::{Dist, Metrics};

/// One line of a chart.
struct Series<'a> {
    name: &'a str,
    colour: &'a str,
    dashed: bool,
    points: Vec<[f64; 2]>,
}

const W: f64 = 640.0;
const H: f64 = 400.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 160.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 52.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A line chart; `log_x` puts x on a log10 axis over `[x0, x1]`.
fn chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series<'_>],
    log_x: bool,
    x: [f64; 2],
    y: [f64; 2],
) -> String {
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let fx = |v: f64| {
        let (a, b, v) = if log_x { (x[0].log10(), x[1].log10(), v.max(x[0]).log10()) } else { (x[0], x[1], v) };
        LEFT + ((v - a) / (b - a).max(1e-9)).clamp(0.0, 1.0) * pw
    };
    let fy = |v: f64| TOP + ph - ((v - y[0]) / (y[1] - y[0]).max(1e-9)).clamp(0.0, 1.0) * ph;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = write!(s, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
    let _ = write!(s, r#"<text x="{}" y="22" font-size="15" font-weight="bold">{}</text>"#, LEFT, escape(title));
    // Axes, grid and ticks.
    let _ = write!(s, r##"<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>"##);
    let x_ticks: Vec<f64> = if log_x {
        (-3..=5).map(|e| 10f64.powi(e)).filter(|t| *t >= x[0] && *t <= x[1]).collect()
    } else {
        (0..=5).map(|i| x[0] + (x[1] - x[0]) * f64::from(i) / 5.0).collect()
    };
    for t in x_ticks {
        let px = fx(t);
        let _ = write!(s, r##"<line x1="{px:.1}" y1="{TOP}" x2="{px:.1}" y2="{:.1}" stroke="#ddd"/>"##, TOP + ph);
        let _ = write!(s, r#"<text x="{px:.1}" y="{:.1}" text-anchor="middle">{}</text>"#, TOP + ph + 16.0, tick(t));
    }
    for i in 0..=5 {
        let v = y[0] + (y[1] - y[0]) * f64::from(i) / 5.0;
        let py = fy(v);
        let _ = write!(s, r##"<line x1="{LEFT}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}" stroke="#ddd"/>"##, LEFT + pw);
        let _ = write!(s, r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#, LEFT - 6.0, py + 4.0, tick(v));
    }
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        LEFT + pw / 2.0,
        H - 12.0,
        escape(x_label)
    );
    let _ = write!(
        s,
        r#"<text transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
        TOP + ph / 2.0,
        escape(y_label)
    );
    for (i, line) in series.iter().enumerate() {
        let pts: Vec<String> = line.points.iter().map(|[a, b]| format!("{:.1},{:.1}", fx(*a), fy(*b))).collect();
        let dash = if line.dashed { r#" stroke-dasharray="6 4""# } else { "" };
        if pts.len() > 1 {
            let _ = write!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"{dash}/>"#,
                pts.join(" "),
                line.colour
            );
        }
        let ly = TOP + 10.0 + i as f64 * 20.0;
        let lx = LEFT + pw + 12.0;
        let _ = write!(
            s,
            r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{}" stroke-width="2"{dash}/>"#,
            lx + 24.0,
            line.colour
        );
        let _ = write!(s, r#"<text x="{}" y="{}">{}</text>"#, lx + 30.0, ly + 4.0, escape(line.name));
    }
    s.push_str("</svg>\n");
    s
}

fn tick(v: f64) -> String {
    if v != 0.0 && v.abs() < 1.0 { format!("{v}") } else { format!("{v:.0}") }
}

/// A CDF as a staircase starting at zero.
fn steps(d: &Dist, x0: f64) -> Vec<[f64; 2]> {
    let mut out = vec![[x0, 0.0]];
    let mut last = 0.0;
    for [x, y] in &d.cdf {
        out.push([x.max(x0), last]);
        out.push([x.max(x0), *y]);
        last = *y;
    }
    out
}

fn x_range(ds: &[&Dist]) -> [f64; 2] {
    let max = ds.iter().flat_map(|d| d.cdf.last()).map(|p| p[0]).fold(1.0, f64::max);
    [0.1, 10f64.powf(max.log10().ceil()).max(10.0)]
}

/// The SVG files of a run: name and contents.
pub fn plots(m: &Metrics) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (tier, l) in &m.tickets.latency {
        let x = x_range(&[&l.protocol, &l.oracle, &l.epidemic, &l.spray_and_wait]);
        let series = [
            Series { name: "Sampark", colour: "#c0392b", dashed: false, points: steps(&l.protocol, x[0]) },
            Series { name: "oracle", colour: "#222", dashed: true, points: steps(&l.oracle, x[0]) },
            Series { name: "epidemic", colour: "#2e86c1", dashed: false, points: steps(&l.epidemic, x[0]) },
            Series { name: "spray & wait", colour: "#28b463", dashed: false, points: steps(&l.spray_and_wait, x[0]) },
        ];
        let title = format!("{}: tickets reaching the {tier} relay", m.scenario);
        let svg = chart(&title, "hours since raised (log scale)", "share of tickets", &series, true, x, [0.0, 1.0]);
        out.push((format!("latency-{tier}.svg"), svg));
    }
    let h = &m.helpdesk;
    let x = x_range(&[&h.return_protocol, &h.return_oracle]);
    let series = [
        Series { name: "Sampark", colour: "#c0392b", dashed: false, points: steps(&h.return_protocol, x[0]) },
        Series { name: "oracle", colour: "#222", dashed: true, points: steps(&h.return_oracle, x[0]) },
    ];
    let title = format!("{}: resolutions reaching the raising phone", m.scenario);
    out.push((
        "return.svg".into(),
        chart(&title, "hours since resolved (log scale)", "share of resolved tickets", &series, true, x, [0.0, 1.0]),
    ));
    let f = &m.freshness;
    let days = |i: usize| f.series.iter().map(move |p| [p[0] / 24.0, p.get(i).copied().unwrap_or(0.0)]).collect();
    let y_max = f.series.iter().map(|p| p[2]).fold(24.0, f64::max).ceil();
    let x_max = f.series.last().map_or(1.0, |p| p[0] / 24.0);
    let series = [
        Series { name: "median", colour: "#c0392b", dashed: false, points: days(1) },
        Series { name: "90th percentile", colour: "#2e86c1", dashed: false, points: days(2) },
    ];
    let title = format!("{}: how stale the block relay's view of a centre is", m.scenario);
    out.push((
        "freshness.svg".into(),
        chart(&title, "day", "hours behind", &series, false, [0.0, x_max], [0.0, y_max]),
    ));
    out
}
