package io.ravine.io;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * One progress line on standard error, redrawn in place: {@code step 1200/4690 [====>    ] 26% epoch 2/5 loss 0.4321
 * 53.4k samples/s 0:12 ETA 0:41}. Each redraw starts with a carriage return and pads over the previous one, so the
 * terminal keeps one line; it fits the width given (one column is left free, so no terminal wraps it), dropping the
 * least useful fields first. Redraws are at most ten a second. {@link #end} draws the step reached, not the total, so
 * a run stopped by Ctrl-C shows where it stopped, then ends the line.
 *
 * <p>A small renderer of Ravine's own rather than DJL's ProgressBar (no n/N, elapsed or ETA, 100% on any end, a new
 * line per redraw at 80 columns) or a library (me.tongfei:progressbar brings JLine for the terminal width, which a JVM
 * cannot read without native code either): the line's content is Ravine's, and it is tested as text.
 */
public final class ProgressLine implements AutoCloseable {
    private static final long REDRAW_NANOS = 100_000_000L;
    /** Fixed, so the fields after the bar do not move from one redraw to the next. */
    private static final int BAR_WIDTH = 12;

    private final String unit;
    private final long total;
    private final long start;
    private final PrintStream out;
    private final int columns;
    private final LongSupplier clock;
    private final long startNanos;
    private long lastDraw = Long.MIN_VALUE;
    private int lastLength;
    private long done;
    private String[] details = new String[0];
    private boolean ended;

    /**
     * A line on {@code System.err} as wide as {@link Terminal#columns()}.
     *
     * @param unit what is counted ("step", "trial")
     * @param total how many there will be
     * @param start how many were done before (a resumed run)
     * @return the line (nothing is drawn until the first update)
     */
    public static ProgressLine onStderr(String unit, long total, long start) {
        return new ProgressLine(unit, total, start, System.err, Terminal.columns(), System::nanoTime);
    }

    ProgressLine(String unit, long total, long start, PrintStream out, int columns, LongSupplier clock) {
        this.unit = unit;
        this.total = total;
        this.start = start;
        this.done = start;
        this.out = out;
        this.columns = columns;
        this.clock = clock;
        this.startNanos = clock.getAsLong();
    }

    /**
     * Records progress, and redraws where the last redraw is at least 0.1 s old or this is the last unit.
     *
     * @param done units done
     * @param details fields after the count, most useful first ("epoch 2/5", "loss 0.43", "53.4k samples/s")
     */
    public void update(long done, String... details) {
        this.done = done;
        this.details = details.clone();
        long now = clock.getAsLong();
        if (done >= total || lastDraw == Long.MIN_VALUE || now - lastDraw >= REDRAW_NANOS) {
            draw(now);
        }
    }

    /**
     * Draws the units actually done (an interrupted run's step, not the total) and ends the line.
     *
     * @param done units done
     */
    public void end(long done) {
        if (ended) {
            return;
        }
        this.done = done;
        draw(clock.getAsLong());
        out.print(System.lineSeparator());
        out.flush();
        ended = true;
    }

    /**
     * Erases the line drawn so far, so that a result can be printed on the terminal in its place; the next
     * {@link #update} draws it again, below that result.
     */
    public void clear() {
        if (ended || lastLength == 0) {
            return;
        }
        out.print("\r" + " ".repeat(lastLength) + "\r");
        out.flush();
        lastLength = 0;
        lastDraw = Long.MIN_VALUE;
    }

    /** Ends the line at the last recorded count. */
    @Override
    public void close() {
        end(done);
    }

    private void draw(long now) {
        String line = render(done, total, start, (now - startNanos) / 1e9, details, unit, columns - 1);
        StringBuilder sb = new StringBuilder("\r").append(line);
        for (int i = line.length(); i < lastLength; i++) {
            sb.append(' ');
        }
        lastLength = line.length();
        lastDraw = now;
        out.print(sb);
        out.flush();
    }

    /**
     * The line's text, at most {@code width} characters: the count always, then as many of the other fields as fit,
     * dropped in this order: the bar, elapsed time, then {@code details} from the last, then the ETA.
     */
    static String render(long done, long total, long start, double elapsedSeconds, String[] details, String unit,
            int width) {
        String count = unit + " " + done + "/" + total;
        int percent = total > 0 ? (int) Math.min(100, Math.floor(100.0 * done / total)) : 0;
        String pct = percent + "%";
        String eta = null;
        if (done > start && done < total && elapsedSeconds > 0) {
            eta = "ETA " + clock((total - done) * elapsedSeconds / (done - start));
        }
        String elapsed = clock(elapsedSeconds);
        // Fields in display order with their priority (lower is kept longer).
        List<String[]> fields = new ArrayList<>();
        fields.add(new String[] {count + " " + pct, "0"});
        fields.add(new String[] {"BAR", "9"});
        for (int i = 0; i < details.length; i++) {
            if (details[i] != null && !details[i].isEmpty()) {
                fields.add(new String[] {details[i], String.valueOf(2 + i)});
            }
        }
        fields.add(new String[] {elapsed, "8"});
        if (eta != null) {
            fields.add(new String[] {eta, "1"});
        }
        while (true) {
            int length = -1;
            for (String[] f : fields) {
                length += 1 + (f[0].equals("BAR") ? BAR_WIDTH : f[0].length());
            }
            if (length <= width || fields.size() == 1) {
                StringBuilder sb = new StringBuilder();
                for (String[] f : fields) {
                    if (sb.length() > 0) {
                        sb.append(' ');
                    }
                    sb.append(f[0].equals("BAR") ? bar(done, total, BAR_WIDTH) : f[0]);
                }
                return sb.length() <= width ? sb.toString() : sb.substring(0, width);
            }
            String[] drop = fields.get(1);
            for (String[] f : fields) {
                if (Integer.parseInt(f[1]) > Integer.parseInt(drop[1])) {
                    drop = f;
                }
            }
            fields.remove(drop);
        }
    }

    private static String bar(long done, long total, int width) {
        int inner = width - 2;
        int filled = total > 0 ? (int) Math.min(inner, inner * done / total) : 0;
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < inner; i++) {
            sb.append(i < filled ? '=' : i == filled ? '>' : ' ');
        }
        return sb.append(']').toString();
    }

    /** 0:07, 12:34, 1:02:03. */
    static String clock(double seconds) {
        long s = Math.max(0, Math.round(seconds));
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    /**
     * A rate for humans: 950, 53.4k, 1.23M.
     *
     * @param perSecond the rate
     * @return three significant digits with a k or M suffix
     */
    public static String rate(double perSecond) {
        if (!Double.isFinite(perSecond)) {
            return "-";
        }
        if (perSecond >= 1e6) {
            return String.format(Locale.ROOT, "%.3gM", perSecond / 1e6);
        }
        if (perSecond >= 1e4) {
            return String.format(Locale.ROOT, "%.3gk", perSecond / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f", perSecond);
    }
}
