//! Bar charts as SVG markup, built from figures the server computed. The markup is rendered
//! on the server, so the charts read without JavaScript; each bar has a `<title>` (tooltip),
//! the chart a title and description for screen readers, and the page shows the same figures
//! as a table.

use super::TableWrap;
use crate::model::BarChart;
use leptos::prelude::*;

const W: f64 = 720.0;
const H: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 30.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A round upper bound for the axis: 1, 2, 5, 10, 20, 50, …
pub fn nice_max(max: u32) -> u32 {
    let mut step = 1u32;
    loop {
        for m in [1, 2, 5] {
            let v = step.saturating_mul(m);
            if v >= max.max(1) {
                return v;
            }
        }
        step = step.saturating_mul(10);
    }
}

/// The chart as an `<svg>` element (a string of markup).
pub fn chart_svg(chart: &BarChart, id: &str) -> String {
    let n = chart.labels.len().max(1);
    let top = nice_max(chart.max()) as f64;
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let slot = plot_w / n as f64;
    let y = |v: f64| TOP + plot_h - v / top * plot_h;
    let mut out = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" data-testid=\"{id}\" preserveAspectRatio=\"xMidYMid meet\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        escape(&chart.title),
        escape(&format!(
            "{} in total over {} periods; the same figures are in the table below the chart.",
            chart.total(),
            chart.labels.len()
        )),
    );
    // Grid lines and their values: 0, half, top.
    for frac in [0.0, 0.5, 1.0] {
        let v = top * frac;
        let gy = y(v);
        out.push_str(&format!(
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{gy:.1}\" y2=\"{gy:.1}\"/>\
             <text class=\"axis\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            gy + 4.0,
            v.round() as u32
        ));
    }
    let series_n = chart.series.len().max(1);
    for i in 0..chart.labels.len() {
        let x0 = LEFT + i as f64 * slot;
        let label = escape(&chart.labels[i]);
        let mut base = 0.0;
        for (k, s) in chart.series.iter().enumerate() {
            let v = s.values.get(i).copied().unwrap_or(0);
            if v == 0 {
                continue;
            }
            let (x, w, from) = if chart.stacked {
                (x0 + slot * 0.1, slot * 0.8, base)
            } else {
                let w = slot * 0.8 / series_n as f64;
                (x0 + slot * 0.1 + w * k as f64, w, 0.0)
            };
            let y_top = y(from + v as f64);
            let h = y(from) - y_top;
            out.push_str(&format!(
                "<rect class=\"bar {class}\" data-series=\"{name}\" data-value=\"{v}\" x=\"{x:.2}\" y=\"{y_top:.2}\" width=\"{w:.2}\" height=\"{h:.2}\"><title>{label}: {v} {name_lc}</title></rect>",
                class = escape(&s.class),
                name = escape(&s.name),
                name_lc = escape(&s.name.to_lowercase()),
            ));
            if chart.stacked {
                base += v as f64;
            }
        }
        if chart.label_every > 0 && i % chart.label_every == 0 {
            out.push_str(&format!(
                "<text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\">{label}</text>",
                x0 + 1.0,
                H - BOTTOM + 16.0
            ));
        }
    }
    out.push_str(&format!(
        "<line class=\"baseline\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\"/></svg>",
        W - RIGHT,
        y(0.0),
        y(0.0)
    ));
    out
}

/// The chart with its legend and, for screen readers and copying, its non-zero figures as a
/// table.
#[component]
pub fn Chart(chart: BarChart, id: &'static str) -> impl IntoView {
    let svg = chart_svg(&chart, id);
    let rows: Vec<(String, Vec<u32>)> = (0..chart.labels.len())
        .map(|i| {
            (
                chart.labels[i].clone(),
                chart
                    .series
                    .iter()
                    .map(|s| s.values.get(i).copied().unwrap_or(0))
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, v)| v.iter().any(|x| *x > 0))
        .collect();
    let names: Vec<String> = chart.series.iter().map(|s| s.name.clone()).collect();
    let legend = chart.series.clone();
    let empty = rows.is_empty();
    let table_title = chart.title.clone();
    view! {
        <figure class="chart-figure">
            <figcaption>
                <strong>{chart.title.clone()}</strong>
                <ul class="legend">
                    {legend.into_iter().map(|s| view! {
                        <li><span class=format!("swatch {}", s.class) aria-hidden="true"></span>{s.name}</li>
                    }).collect_view()}
                </ul>
            </figcaption>
            <div class="chart-box" inner_html=svg></div>
            {if empty {
                view! { <p class="muted" data-testid=format!("{id}-empty")>"Nothing recorded in this period."</p> }.into_any()
            } else {
                view! {
                    <details class="chart-table">
                        <summary>"Figures as a table"</summary>
                        <TableWrap label=format!("{} as a table", table_title)>
                            <table class="data">
                                <thead><tr>
                                    <th scope="col">"Period"</th>
                                    {names.iter().map(|n| view! { <th scope="col">{n.clone()}</th> }).collect_view()}
                                </tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|(label, values)| view! {
                                        <tr><th scope="row">{label}</th>
                                        {values.into_iter().map(|v| view! { <td>{v}</td> }).collect_view()}
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </TableWrap>
                    </details>
                }.into_any()
            }}
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Series;

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice_max(0), 1);
        assert_eq!(nice_max(3), 5);
        assert_eq!(nice_max(7), 10);
        assert_eq!(nice_max(11), 20);
        assert_eq!(nice_max(120), 200);
    }

    #[test]
    fn one_bar_per_non_zero_value_with_escaped_text() {
        let chart = BarChart {
            title: "A <b> & c".into(),
            labels: vec!["a".into(), "b".into(), "c".into()],
            label_every: 1,
            series: vec![
                Series {
                    name: "Succeeded".into(),
                    class: "success".into(),
                    values: vec![1, 0, 4],
                },
                Series {
                    name: "Failed".into(),
                    class: "failure".into(),
                    values: vec![2, 0, 0],
                },
            ],
            stacked: true,
        };
        let svg = chart_svg(&chart, "t");
        assert_eq!(svg.matches("<rect ").count(), 3);
        assert!(svg.contains("data-value=\"4\""));
        assert!(svg.contains("A &lt;b&gt; &amp; c"));
        assert!(!svg.contains("<b>"));
        // The tallest stack (4) reaches the top of a 0..5 axis, not beyond.
        assert!(svg.contains(">5</text>"));
    }
}
