package io.distilflux.trainer.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small x–y chart drawn with Java2D: lines, mean ± std bands, point clouds and shaded x
 * windows, with axes, "nice" ticks and a legend. Several charts make a figure
 * ({@link #figure}). Non-finite values are skipped.
 */
final class Chart {

  /** The line colours, in order (colour-blind-safe Okabe–Ito palette). */
  static final Color[] PALETTE = {
    new Color(0x0072B2), new Color(0xD55E00), new Color(0x009E73), new Color(0xCC79A7),
    new Color(0xE69F00), new Color(0x56B4E9), new Color(0x000000), new Color(0xF0E442)
  };

  private record Line(String name, Color color, double[] x, double[] y, float width) {}

  private record Band(Color color, double[] x, double[] low, double[] high) {}

  private record Points(String name, Color color, double[] x, double[] y) {}

  private record Span(double from, double to) {}

  private final String title;
  private final String xLabel;
  private final String yLabel;
  private final List<Line> lines = new ArrayList<>();
  private final List<Band> bands = new ArrayList<>();
  private final List<Points> points = new ArrayList<>();
  private final List<Span> spans = new ArrayList<>();
  private Color spanColor = new Color(0xE69F00);
  private String spanName;

  Chart(String title, String xLabel, String yLabel) {
    this.title = title;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
  }

  Chart line(String name, Color color, double[] x, double[] y, float width) {
    lines.add(new Line(name, color, x, y, width));
    return this;
  }

  /** A shaded area between {@code low} and {@code high} (drawn under the lines). */
  Chart band(Color color, double[] x, double[] low, double[] high) {
    bands.add(new Band(color, x, low, high));
    return this;
  }

  Chart points(String name, Color color, double[] x, double[] y) {
    points.add(new Points(name, color, x, y));
    return this;
  }

  /** Shaded x windows, named once in the legend. */
  Chart spans(String name, Color color, List<double[]> windows) {
    spanName = name;
    spanColor = color;
    for (double[] w : windows) {
      spans.add(new Span(w[0], w[1]));
    }
    return this;
  }

  /** Charts side by side, {@code columns} per row, each {@code width × height} pixels. */
  static BufferedImage figure(List<Chart> charts, int columns, int width, int height) {
    int rows = (charts.size() + columns - 1) / columns;
    BufferedImage image = new BufferedImage(columns * width, rows * height,
        BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING,
          RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, image.getWidth(), image.getHeight());
      for (int i = 0; i < charts.size(); i++) {
        charts.get(i).draw(g, new Rectangle((i % columns) * width, (i / columns) * height,
            width, height));
      }
    } finally {
      g.dispose();
    }
    return image;
  }

  private void draw(Graphics2D g, Rectangle area) {
    Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    g.setFont(font);
    FontMetrics fm = g.getFontMetrics();
    int left = area.x + 62;
    int right = area.x + area.width - 14;
    int top = area.y + 30;
    int bottom = area.y + area.height - 44;
    Rectangle plot = new Rectangle(left, top, right - left, bottom - top);

    double[] xr = range(true);
    double[] yr = range(false);
    double[] xt = ticks(xr[0], xr[1]);
    double[] yt = ticks(yr[0], yr[1]);
    xr = new double[] {Math.min(xr[0], xt[0]), Math.max(xr[1], xt[xt.length - 1])};
    yr = new double[] {Math.min(yr[0], yt[0]), Math.max(yr[1], yt[yt.length - 1])};
    Scale sx = new Scale(xr[0], xr[1], plot.x, plot.x + plot.width);
    Scale sy = new Scale(yr[0], yr[1], plot.y + plot.height, plot.y);

    // title
    g.setColor(Color.BLACK);
    g.setFont(font.deriveFont(Font.BOLD, 13f));
    g.drawString(title, area.x + (area.width - g.getFontMetrics().stringWidth(title)) / 2,
        area.y + 18);
    g.setFont(font);

    // windows, grid, bands, lines, points
    java.awt.Shape clip = g.getClip();
    g.clip(plot);
    for (Span s : spans) {
      g.setColor(alpha(spanColor, 45));
      int a = (int) sx.map(s.from() - 0.5);
      int b = (int) Math.ceil(sx.map(s.to() + 0.5));
      g.fillRect(a, plot.y, Math.max(1, b - a), plot.height);
    }
    g.setColor(new Color(0xE6E6E6));
    for (double v : xt) {
      int px = (int) Math.round(sx.map(v));
      g.drawLine(px, plot.y, px, plot.y + plot.height);
    }
    for (double v : yt) {
      int py = (int) Math.round(sy.map(v));
      g.drawLine(plot.x, py, plot.x + plot.width, py);
    }
    for (Band b : bands) {
      Path2D.Double path = new Path2D.Double();
      boolean started = false;
      for (int i = 0; i < b.x().length; i++) {
        if (finite(b.x()[i], b.high()[i])) {
          double px = sx.map(b.x()[i]);
          double py = sy.map(b.high()[i]);
          if (started) {
            path.lineTo(px, py);
          } else {
            path.moveTo(px, py);
            started = true;
          }
        }
      }
      for (int i = b.x().length - 1; i >= 0; i--) {
        if (finite(b.x()[i], b.low()[i])) {
          path.lineTo(sx.map(b.x()[i]), sy.map(b.low()[i]));
        }
      }
      if (started) {
        path.closePath();
        g.setColor(alpha(b.color(), 50));
        g.fill(path);
      }
    }
    for (Line l : lines) {
      g.setColor(l.color());
      g.setStroke(new BasicStroke(l.width(), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
      Path2D.Double path = new Path2D.Double();
      boolean pen = false;
      for (int i = 0; i < l.x().length; i++) {
        if (!finite(l.x()[i], l.y()[i])) {
          pen = false;
          continue;
        }
        double px = sx.map(l.x()[i]);
        double py = sy.map(l.y()[i]);
        if (pen) {
          path.lineTo(px, py);
        } else {
          path.moveTo(px, py);
          pen = true;
        }
      }
      g.draw(path);
    }
    g.setStroke(new BasicStroke(1f));
    for (Points p : points) {
      for (int i = 0; i < p.x().length; i++) {
        if (finite(p.x()[i], p.y()[i])) {
          Ellipse2D.Double dot = new Ellipse2D.Double(sx.map(p.x()[i]) - 4, sy.map(p.y()[i]) - 4, 8, 8);
          g.setColor(alpha(p.color(), 170));
          g.fill(dot);
          g.setColor(p.color().darker());
          g.draw(dot);
        }
      }
    }
    g.setClip(clip);

    // axes and tick labels
    g.setColor(Color.DARK_GRAY);
    g.drawRect(plot.x, plot.y, plot.width, plot.height);
    for (double v : xt) {
      int px = (int) Math.round(sx.map(v));
      g.drawLine(px, plot.y + plot.height, px, plot.y + plot.height + 4);
      String text = format(v, xt);
      g.drawString(text, px - fm.stringWidth(text) / 2, plot.y + plot.height + 17);
    }
    for (double v : yt) {
      int py = (int) Math.round(sy.map(v));
      g.drawLine(plot.x - 4, py, plot.x, py);
      String text = format(v, yt);
      g.drawString(text, plot.x - 7 - fm.stringWidth(text), py + fm.getAscent() / 2 - 1);
    }
    g.setColor(Color.BLACK);
    g.drawString(xLabel, plot.x + (plot.width - fm.stringWidth(xLabel)) / 2, area.y + area.height - 10);
    Graphics2D rotated = (Graphics2D) g.create();
    rotated.rotate(-Math.PI / 2);
    rotated.drawString(yLabel, -(plot.y + (plot.height + fm.stringWidth(yLabel)) / 2), area.x + 14);
    rotated.dispose();
    legend(g, plot, fm, sx, sy);
  }

  private void legend(Graphics2D g, Rectangle plot, FontMetrics fm, Scale sx, Scale sy) {
    List<Object[]> entries = new ArrayList<>();
    for (Line l : lines) {
      if (l.name() != null) {
        entries.add(new Object[] {l.name(), l.color(), "line"});
      }
    }
    for (Points p : points) {
      if (p.name() != null) {
        entries.add(new Object[] {p.name(), p.color(), "point"});
      }
    }
    if (spanName != null && !spans.isEmpty()) {
      entries.add(new Object[] {spanName, spanColor, "span"});
    }
    if (entries.isEmpty()) {
      return;
    }
    int w = entries.stream().mapToInt(e -> fm.stringWidth((String) e[0])).max().orElse(0) + 34;
    int h = entries.size() * 16 + 6;
    // The corner that hides the fewest data points.
    int[][] corners = {
      {plot.x + plot.width - w - 6, plot.y + plot.height - h - 6},
      {plot.x + plot.width - w - 6, plot.y + 6},
      {plot.x + 6, plot.y + plot.height - h - 6},
      {plot.x + 6, plot.y + 6}
    };
    int best = 0;
    long fewest = Long.MAX_VALUE;
    for (int c = 0; c < corners.length; c++) {
      Rectangle box = new Rectangle(corners[c][0], corners[c][1], w, h);
      long hidden = hidden(box, sx, sy);
      if (hidden < fewest) {
        fewest = hidden;
        best = c;
      }
    }
    int x = corners[best][0];
    int y = corners[best][1];
    g.setColor(new Color(255, 255, 255, 215));
    g.fillRect(x, y, w, h);
    g.setColor(Color.LIGHT_GRAY);
    g.drawRect(x, y, w, h);
    for (int i = 0; i < entries.size(); i++) {
      Object[] e = entries.get(i);
      int cy = y + 12 + i * 16;
      Color c = (Color) e[1];
      switch ((String) e[2]) {
        case "line" -> {
          g.setColor(c);
          g.setStroke(new BasicStroke(2.5f));
          g.drawLine(x + 5, cy - 4, x + 25, cy - 4);
          g.setStroke(new BasicStroke(1f));
        }
        case "point" -> {
          g.setColor(c);
          g.fillOval(x + 11, cy - 8, 8, 8);
        }
        default -> {
          g.setColor(alpha(c, 70));
          g.fillRect(x + 5, cy - 10, 20, 11);
        }
      }
      g.setColor(Color.BLACK);
      g.drawString((String) e[0], x + 30, cy);
    }
  }

  private long hidden(Rectangle box, Scale sx, Scale sy) {
    List<double[][]> series = new ArrayList<>();
    for (Line l : lines) {
      series.add(new double[][] {l.x(), l.y()});
    }
    for (Band b : bands) {
      series.add(new double[][] {b.x(), b.low()});
      series.add(new double[][] {b.x(), b.high()});
    }
    for (Points p : points) {
      series.add(new double[][] {p.x(), p.y()});
      series.add(new double[][] {p.x(), p.y()});
    }
    long count = 0;
    for (double[][] xy : series) {
      int stride = Math.max(1, xy[0].length / 400);
      for (int i = 0; i < xy[0].length; i += stride) {
        if (finite(xy[0][i], xy[1][i]) && box.contains(sx.map(xy[0][i]), sy.map(xy[1][i]))) {
          count += stride;
        }
      }
    }
    return count;
  }

  private double[] range(boolean x) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    List<double[]> arrays = new ArrayList<>();
    for (Line l : lines) {
      arrays.add(x ? l.x() : l.y());
    }
    for (Band b : bands) {
      arrays.add(x ? b.x() : b.low());
      arrays.add(x ? b.x() : b.high());
    }
    for (Points p : points) {
      arrays.add(x ? p.x() : p.y());
    }
    for (double[] a : arrays) {
      for (double v : a) {
        if (Double.isFinite(v)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    }
    if (x) {
      for (Span s : spans) {
        lo = Math.min(lo, s.from());
        hi = Math.max(hi, s.to());
      }
    }
    if (!Double.isFinite(lo)) {
      return new double[] {0, 1};
    }
    if (hi - lo < 1e-12) {
      double pad = Math.max(Math.abs(lo) * 0.05, 0.01);
      return new double[] {lo - pad, hi + pad};
    }
    return new double[] {lo, hi};
  }

  /** About five "nice" ticks (1, 2 or 5 × 10^k apart) covering [lo, hi]. */
  static double[] ticks(double lo, double hi) {
    double raw = (hi - lo) / 5;
    double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    double fraction = raw / magnitude;
    double step = (fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10) * magnitude;
    double first = Math.floor(lo / step + 1e-9) * step;
    double last = Math.ceil(hi / step - 1e-9) * step;
    int n = (int) Math.round((last - first) / step) + 1;
    double[] ticks = new double[n];
    for (int i = 0; i < n; i++) {
      ticks[i] = first + i * step;
    }
    return ticks;
  }

  private static String format(double v, double[] ticks) {
    double step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
    if (Math.abs(v) >= 10_000 && step >= 1000) {
      return String.format(Locale.ROOT, "%.0fk", v / 1000);
    }
    int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9));
    return String.format(Locale.ROOT, "%." + decimals + "f", Math.abs(v) < step * 1e-6 ? 0.0 : v);
  }

  private static boolean finite(double a, double b) {
    return Double.isFinite(a) && Double.isFinite(b);
  }

  private static Color alpha(Color c, int a) {
    return new Color(c.getRed(), c.getGreen(), c.getBlue(), a);
  }

  private record Scale(double lo, double hi, double from, double to) {
    double map(double v) {
      return from + (v - lo) / (hi - lo) * (to - from);
    }
  }
}
