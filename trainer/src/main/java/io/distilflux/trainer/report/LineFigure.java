package io.distilflux.trainer.report;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A figure of line charts side by side, for reports outside this package (the complexity
 * experiment's pruning curves): each panel a title, axis labels and named lines.
 */
public final class LineFigure {

  /**
   * One line.
   *
   * @param name the legend's text
   * @param colour index into the report palette (the same index, the same colour in every panel)
   * @param x abscissae
   * @param y ordinates (non-finite ones are skipped)
   */
  public record Series(String name, int colour, double[] x, double[] y) {}

  /**
   * One chart.
   *
   * @param title above the chart
   * @param xLabel the x axis's label
   * @param yLabel the y axis's label
   * @param series its lines
   */
  public record Panel(String title, String xLabel, String yLabel, List<Series> series) {}

  private LineFigure() {}

  /** Draws the panels, {@code columns} per row, and writes them as a PNG. */
  public static void writePng(List<Panel> panels, int columns, Path file) throws IOException {
    List<Chart> charts = panels.stream().map(p -> {
      Chart chart = new Chart(p.title(), p.xLabel(), p.yLabel());
      for (Series s : p.series()) {
        chart.line(s.name(), Chart.PALETTE[Math.floorMod(s.colour(), Chart.PALETTE.length)],
            s.x(), s.y(), 2f);
      }
      return chart;
    }).toList();
    BufferedImage image = Chart.figure(charts, columns, 560, 400);
    if (!ImageIO.write(image, "png", file.toFile())) {
      throw new IOException("no PNG writer for " + file);
    }
  }
}
