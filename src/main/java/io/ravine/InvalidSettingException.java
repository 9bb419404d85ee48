package io.ravine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * An {@link InvalidInputException} about one or more named settings (the components of
 * {@link io.ravine.train.TrainConfig}, such as {@code learningRate}). The message names each setting as the library
 * calls it ({@code learningRate must be a positive number, got NaN}); a front end that calls the same settings
 * otherwise renders the same message with its own names through {@link #messageNaming}: the CLI gives
 * {@code --lr must be a positive number, got NaN} from its one table of flags and settings. The settings are kept
 * apart from the text, so nothing is found or replaced in a message's words (a value such as {@code 'steps'} in it is
 * never taken for a setting).
 *
 * <pre>{@code
 * throw InvalidSettingException.of(setting("epochs"), " or ", setting("steps"), " must be positive");
 * }</pre>
 */
public class InvalidSettingException extends InvalidInputException {
    private static final long serialVersionUID = 1L;

    /** The text between the settings: {@code texts.length == settings.size() + 1}. */
    private final String[] texts;
    /** The settings' names in the library's vocabulary, in the message's order. */
    private final List<String> settings;

    private InvalidSettingException(String[] texts, List<String> settings) {
        super(render(texts, settings, UnaryOperator.identity()));
        this.texts = texts;
        this.settings = settings;
    }

    /**
     * The common shape: the setting first, then the rest of the line, e.g.
     * {@code new InvalidSettingException("learningRate", " must be a positive number, got NaN")}.
     *
     * @param setting the setting's name, as {@link io.ravine.train.TrainConfig} calls it
     * @param rest the text after the setting's name
     */
    public InvalidSettingException(String setting, String rest) {
        this(new String[] {"", Objects.requireNonNull(rest, "rest")},
                List.of(Objects.requireNonNull(setting, "setting")));
    }

    /**
     * A setting's name inside a message made by {@link #of}.
     *
     * @param name the setting's name, as {@link io.ravine.train.TrainConfig} calls it
     */
    public record Setting(String name) {
        /**
         * Checks the name.
         *
         * @param name the setting's name
         */
        public Setting {
            Objects.requireNonNull(name, "name");
        }
    }

    /**
     * Marks {@code name} as a setting in a message made by {@link #of}.
     *
     * @param name the setting's name, as {@link io.ravine.train.TrainConfig} calls it
     * @return the marker
     */
    public static Setting setting(String name) {
        return new Setting(name);
    }

    /**
     * A message made of {@link Setting}s and any other values (text, numbers), in order.
     *
     * @param parts the message's parts; each {@link Setting} is rendered as a name, everything else as
     *     {@link String#valueOf}
     * @return the exception, to throw
     */
    public static InvalidSettingException of(Object... parts) {
        List<String> texts = new ArrayList<>();
        List<String> names = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (Object p : parts) {
            if (p instanceof Setting s) {
                texts.add(text.toString());
                text.setLength(0);
                names.add(s.name());
            } else {
                text.append(p);
            }
        }
        texts.add(text.toString());
        if (names.isEmpty()) {
            throw new IllegalArgumentException("a message about settings names at least one: "
                    + Arrays.toString(parts));
        }
        return new InvalidSettingException(texts.toArray(new String[0]), List.copyOf(names));
    }

    /**
     * Records the failure this one reports (a parser's exception, say), as {@link #initCause} does.
     *
     * @param cause the underlying failure
     * @return this exception, to throw
     */
    public InvalidSettingException causedBy(Throwable cause) {
        initCause(cause);
        return this;
    }

    /**
     * The settings this message names, in the order it names them (the first is the one it is mostly about).
     *
     * @return the settings' names
     */
    public List<String> settings() {
        return Collections.unmodifiableList(settings);
    }

    /**
     * This message with each setting named by {@code nameOf}: {@code messageNaming(s -> "--" + s)}, say. The library's
     * own message ({@link #getMessage()}) is {@code messageNaming(UnaryOperator.identity())}.
     *
     * @param nameOf a setting's name in the caller's vocabulary (a flag), from its name in the library's
     * @return the one-line message
     */
    public String messageNaming(UnaryOperator<String> nameOf) {
        return render(texts, settings, nameOf);
    }

    private static String render(String[] texts, List<String> settings, UnaryOperator<String> nameOf) {
        StringBuilder sb = new StringBuilder(texts[0]);
        for (int i = 0; i < settings.size(); i++) {
            sb.append(nameOf.apply(settings.get(i))).append(texts[i + 1]);
        }
        return sb.toString();
    }
}
