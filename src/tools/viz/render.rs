//! PNG charts rendered in-process with plotters' bitmap backend. Text is drawn with DejaVu Sans
//! compiled into the binary (ab_glyph), because the production image has no fonts at all.

use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::tools::ToolError;

/// DejaVu Sans (Bitstream Vera licence, see fonts/DejaVuSans-LICENSE.txt beside this file).
const FONT: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");
/// The family name charts ask plotters for.
const FAMILY: &str = "sans-serif";

/// The largest image made, per side: a bigger one is slow to make and to send.
pub const MAX_SIDE: u32 = 2_000;

/// Registers the embedded font once; the only failure is a corrupt font file in the build.
fn font_ready() -> Result<(), ToolError> {
    static READY: OnceLock<bool> = OnceLock::new();
    let ok = *READY.get_or_init(|| register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    ok.then_some(())
        .ok_or_else(|| ToolError::Failed("the embedded chart font could not be read".into()))
}

/// A horizontal bar chart: one labelled bar per item, top to bottom.
pub struct Bars<'a> {
    pub title: &'a str,
    /// What the bars measure, under the axis.
    pub measure: &'a str,
    pub items: &'a [(String, f64)],
    /// `#rrggbb`.
    pub color: &'a str,
    /// How a value is written at the end of its bar and on the axis.
    pub format: fn(f64) -> String,
    pub width: u32,
    pub height: u32,
}

/// Renders `bars` as PNG bytes.
pub fn bar_chart_png(bars: &Bars) -> Result<Vec<u8>, ToolError> {
    font_ready()?;
    let (w, h) = (bars.width, bars.height);
    if !(200..=MAX_SIDE).contains(&w) || !(150..=MAX_SIDE).contains(&h) {
        return Err(ToolError::Failed(format!(
            "charts are 200 to {MAX_SIDE} pixels wide and 150 to {MAX_SIDE} high"
        )));
    }
    let mut rgb = vec![255u8; (w * h * 3) as usize];
    draw(bars, &mut rgb).map_err(|e| ToolError::Failed(format!("chart drawing failed: {e}")))?;
    encode_png(&rgb, w, h)
}

fn draw(bars: &Bars, rgb: &mut [u8]) -> Result<(), Box<dyn std::error::Error>> {
    let root = BitMapBackend::with_buffer(rgb, (bars.width, bars.height)).into_drawing_area();
    root.fill(&WHITE)?;
    let color = parse_color(bars.color);
    let n = bars.items.len().max(1);
    let max = bars
        .items
        .iter()
        .map(|(_, v)| *v)
        .fold(0.0f64, f64::max)
        .max(1.0);
    let longest = bars.items.iter().map(|(l, _)| l.chars().count()).max();
    let label_width = (longest.unwrap_or(4).min(28) as u32 * 8 + 16).max(60);
    let mut chart = ChartBuilder::on(&root)
        .caption(bars.title, (FAMILY, 22))
        .margin(14)
        .x_label_area_size(40)
        .y_label_area_size(label_width)
        .build_cartesian_2d(0.0..max * 1.18, (0..n - 1).into_segmented())?;
    let labels: Vec<String> = bars.items.iter().map(|(l, _)| shorten(l, 28)).collect();
    let format = bars.format;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc(bars.measure)
        .x_labels(6)
        .x_label_formatter(&|v| format(*v))
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            // Bars are listed top to bottom; the axis counts from the bottom.
            SegmentValue::CenterOf(i) => (n - 1)
                .checked_sub(*i)
                .and_then(|row| labels.get(row).cloned())
                .unwrap_or_default(),
            _ => String::new(),
        })
        .label_style((FAMILY, 13))
        .axis_desc_style((FAMILY, 14))
        .draw()?;
    chart.draw_series(bars.items.iter().enumerate().map(|(i, (_, v))| {
        let row = n - 1 - i;
        let mut bar = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(row)),
                (*v, SegmentValue::Exact(row + 1)),
            ],
            color.filled(),
        );
        bar.set_margin(4, 4, 0, 0);
        bar
    }))?;
    chart.draw_series(bars.items.iter().enumerate().map(|(i, (_, v))| {
        Text::new(
            format(*v),
            (*v + max * 0.01, SegmentValue::CenterOf(n - 1 - i)),
            (FAMILY, 12).into_font().color(&BLACK),
        )
    }))?;
    root.present()?;
    Ok(())
}

/// Keeps a label to `max` characters, with an ellipsis when cut.
fn shorten(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        return label.to_string();
    }
    let kept: String = label.chars().take(max - 1).collect();
    format!("{kept}…")
}

/// `#rrggbb` as a colour; anything else is a neutral blue.
fn parse_color(hex: &str) -> RGBColor {
    let digits = hex.trim_start_matches('#');
    let part = |i: usize| {
        digits
            .get(i..i + 2)
            .and_then(|p| u8::from_str_radix(p, 16).ok())
    };
    match (digits.len(), part(0), part(2), part(4)) {
        (6, Some(r), Some(g), Some(b)) => RGBColor(r, g, b),
        _ => RGBColor(84, 112, 198),
    }
}

/// RGB bytes as a PNG file.
fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ToolError> {
    let failed = |e: png::EncodingError| ToolError::Failed(format!("PNG encoding failed: {e}"));
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(rgb).map_err(failed)?;
    writer.finish().map_err(failed)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars_of(items: &[(String, f64)]) -> Bars<'_> {
        Bars {
            title: "Files by type",
            measure: "files",
            items,
            color: "#1b9e77",
            format: |v| format!("{v:.0}"),
            width: 640,
            height: 360,
        }
    }

    #[test]
    fn a_bar_chart_is_a_png_of_the_asked_size() {
        let items = vec![
            ("csv".to_string(), 12.0),
            ("a very long extension name indeed".to_string(), 3.0),
        ];
        let png = bar_chart_png(&bars_of(&items)).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // The IHDR chunk holds the width and height, big-endian, right after its header.
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 640);
        assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 360);
        assert_eq!(parse_color("#ff0000"), RGBColor(255, 0, 0));
        assert_eq!(shorten("abcdef", 4), "abc…");
        for items in [vec![], vec![("one".to_string(), 0.0)]] {
            let bars = Bars {
                items: &items,
                width: 300,
                height: 200,
                ..bars_of(&[])
            };
            assert!(bar_chart_png(&bars).is_ok(), "{items:?}");
        }
        let too_big = Bars {
            width: 5000,
            ..bars_of(&[])
        };
        assert!(bar_chart_png(&too_big).is_err());
    }
}
