package io.distilflux.trainer.cli;

import io.distilflux.pipeline.event.RunConfig.Mode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;

/**
 * The value of {@code --modes}: modes by their command-line names, in the order given, each
 * once; {@code all} is every mode.
 *
 * @param modes the modes, not empty
 */
record ModeList(List<Mode> modes) {

  ModeList {
    modes = List.copyOf(modes);
  }

  /** Parses {@code forecast,fixed} or {@code all}. */
  static final class Converter implements ITypeConverter<ModeList> {
    @Override
    public ModeList convert(String value) {
      if (value.isBlank() || value.trim().equalsIgnoreCase("all")) {
        return new ModeList(List.of(Mode.values()));
      }
      List<Mode> modes = new ArrayList<>();
      for (String part : value.split(",")) {
        String name = part.trim();
        Mode mode = KebabEnumConverter.find(Mode.class, name).orElseThrow(() ->
            new CommandLine.TypeConversionException("unknown mode '" + name + "' (one of "
                + String.join(", ", Arrays.stream(Mode.values()).map(Mode::cliName).toList())
                + ", all)"));
        if (!modes.contains(mode)) {
          modes.add(mode);
        }
      }
      return new ModeList(modes);
    }
  }
}
