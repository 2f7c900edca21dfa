package io.distilflux.trainer.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every section citation {@code docs/NAME.md §N} in the repository's sources, build files and
 * documentation names a page that exists and a section {@code ## §N} it has; and the method
 * page is always cited by its path from the repository root.
 */
public class DocumentationReferencesTest {

  /** A cited page and section, with an optional range end: {@code docs/method.md §4–§5}. */
  private static final Pattern CITATION =
      Pattern.compile("docs/([A-Za-z0-9_-]+)\\.md §(\\d+)(?:\\s*[–-]\\s*§(\\d+))?");
  private static final Pattern METHOD_MENTION = Pattern.compile("method\\.md");
  private static final Pattern SECTION_HEADING = Pattern.compile("(?m)^## §(\\d+)\\b");
  private static final Set<String> SCANNED_SUFFIXES =
      Set.of(".java", ".md", ".xml", ".yaml", ".yml", ".properties", ".txt", ".sh");
  private static final Set<String> SKIPPED_FOLDERS = Set.of(".git", "target", ".mvn");

  private final Path root = repositoryRoot();

  @Test
  void everyCitedSectionExists() {
    List<String> broken = new ArrayList<>();
    int citations = 0;
    for (Path file : scannedFiles()) {
      String text = read(file);
      Matcher m = CITATION.matcher(text);
      while (m.find()) {
        citations++;
        Path page = root.resolve("docs").resolve(m.group(1) + ".md");
        Set<Integer> sections = Files.isRegularFile(page) ? sections(read(page)) : Set.of();
        for (int g = 2; g <= 3; g++) {
          if (m.group(g) != null && !sections.contains(Integer.parseInt(m.group(g)))) {
            broken.add(where(file, text, m.start()) + ": " + m.group()
                + (Files.isRegularFile(page) ? " (no section §" + m.group(g) + ")" : " (no page)"));
          }
        }
      }
    }
    assertTrue(citations > 0, "no docs/…md §N citation found under " + root);
    assertEquals(List.of(), broken, "citations of missing pages or sections");
  }

  @Test
  void theMethodPageIsCitedByItsPathFromTheRoot() {
    List<String> bare = new ArrayList<>();
    for (Path file : scannedFiles()) {
      String text = read(file);
      Matcher m = METHOD_MENTION.matcher(text);
      while (m.find()) {
        boolean rooted = m.start() >= 5 && text.startsWith("docs/", m.start() - 5);
        // a relative Markdown link from another page of docs/ is fine
        boolean relativeLink = file.startsWith(root.resolve("docs"))
            && m.start() >= 1 && text.charAt(m.start() - 1) == '(';
        if (!rooted && !relativeLink) {
          bare.add(where(file, text, m.start()));
        }
      }
    }
    assertEquals(List.of(), bare, "the method page cited without its folder (write docs/method.md §N)");
  }

  @Test
  void theMethodPageHasItsNumberedSections() {
    Set<Integer> sections = sections(read(root.resolve("docs/method.md")));
    assertFalse(sections.isEmpty(), "docs/method.md has no '## §N' headings");
    assertEquals(sections.size(), sections.stream().mapToInt(Integer::intValue).max().orElse(0),
        "sections of docs/method.md are numbered 1…N without gaps: " + sections);
  }

  private static Set<Integer> sections(String page) {
    Set<Integer> found = new TreeSet<>();
    Matcher m = SECTION_HEADING.matcher(page);
    while (m.find()) {
      found.add(Integer.parseInt(m.group(1)));
    }
    return found;
  }

  private List<Path> scannedFiles() {
    try (Stream<Path> files = Files.walk(root)) {
      return files
          .filter(Files::isRegularFile)
          .filter(p -> {
            for (Path part : root.relativize(p)) {
              if (SKIPPED_FOLDERS.contains(part.toString())) {
                return false;
              }
            }
            String name = p.getFileName().toString();
            return SCANNED_SUFFIXES.stream().anyMatch(name::endsWith);
          })
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String where(Path file, String text, int offset) {
    long line = text.substring(0, offset).chars().filter(c -> c == '\n').count() + 1;
    return root.relativize(file) + ":" + line;
  }

  private static String read(Path file) {
    try {
      return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(file.toString(), e);
    }
  }

  /** The folder holding the root pom and docs/: the module's parent, or the working folder. */
  public static Path repositoryRoot() {
    for (Path candidate : List.of(Path.of(".."), Path.of(""))) {
      Path absolute = candidate.toAbsolutePath().normalize();
      if (Files.isRegularFile(absolute.resolve("pom.xml"))
          && Files.isRegularFile(absolute.resolve("docs/method.md"))) {
        return absolute;
      }
    }
    throw new IllegalStateException("no repository root with docs/method.md above "
        + Path.of("").toAbsolutePath());
  }
}
