package io.ravine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The progress line as text: its fields, its width, redraws in place, and the step shown when it ends early. */
class ProgressLineTest {

    @Test
    void aTrainingLineHasTheCountEpochLossRateElapsedAndEta() {
        String line = ProgressLine.render(1200, 4690, 0, 12.4, new String[] {"epoch 2/5", "loss 0.4321",
            "53.4k samples/s"}, "step", 79);
        assertEquals("step 1200/4690 25% epoch 2/5 loss 0.4321 53.4k samples/s 0:12 ETA 0:36", line);
        // Where there is room, a bar of fixed width after the count.
        String wide = ProgressLine.render(1200, 4690, 0, 12.4, new String[] {"epoch 2/5", "loss 0.4321"}, "step", 79);
        assertEquals("step 1200/4690 25% [==>       ] epoch 2/5 loss 0.4321 0:12 ETA 0:36", wide);
    }

    @Test
    void atEightyColumnsLongValuesDropTheBarThenElapsedThenTheLastDetailsButKeepTheCountAndEta() {
        String[] details = {"epoch 12/100", "loss 12.34567", "1.23M samples/s"};
        String line = ProgressLine.render(123456, 1234567, 0, 3723, details, "step", 79);
        assertTrue(line.length() <= 79, line.length() + ": " + line);
        assertTrue(line.startsWith("step 123456/1234567 9% "), line);
        assertTrue(line.contains("ETA 9:18:27"), line);
        assertFalse(line.contains("["), "the bar goes first: " + line);
        String narrow = ProgressLine.render(123456, 1234567, 0, 3723, details, "step", 39);
        assertTrue(narrow.length() <= 39 && narrow.startsWith("step 123456/1234567 9%") && narrow.contains("ETA"),
                narrow);
    }

    @Test
    void redrawsReturnTheCarriageAndPadOverTheLastLineAndOnlyTheEndStartsANewLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AtomicLong nanos = new AtomicLong();
        ProgressLine p = new ProgressLine("step", 100, 0, new PrintStream(bytes, true, StandardCharsets.UTF_8), 80,
                nanos::get);
        p.update(1, "epoch 1/1", "loss 2.345678");
        nanos.addAndGet(50_000_000L);
        p.update(2, "epoch 1/1", "loss 2.3"); // 50 ms later: not drawn
        nanos.addAndGet(200_000_000L);
        p.update(3, "epoch 1/1");
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(2, out.chars().filter(c -> c == '\r').count(), out);
        assertFalse(out.contains("\n"), out);
        String[] draws = out.split("\r", -1);
        assertEquals(draws[1].length(), draws[2].length(), "the shorter line pads over the longer: " + out);
        assertTrue(draws[2].startsWith("step 3/100 3% "), out);
        for (String d : draws) {
            assertTrue(d.length() <= 79, d);
        }
        p.end(3);
        String ended = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(ended.endsWith(System.lineSeparator()), ended);
        assertEquals(1, ended.split(System.lineSeparator(), -1).length - 1);
    }

    @Test
    void endingEarlyShowsTheStepReachedNotTheTotal() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AtomicLong nanos = new AtomicLong();
        ProgressLine p = new ProgressLine("step", 500, 0, new PrintStream(bytes, true, StandardCharsets.UTF_8), 80,
                nanos::get);
        nanos.addAndGet(1_000_000_000L);
        p.update(27, "epoch 1/4");
        p.end(27);
        String last = bytes.toString(StandardCharsets.UTF_8).strip();
        last = last.substring(last.lastIndexOf('\r') + 1);
        assertTrue(last.startsWith("step 27/500 5% "), last);
        assertFalse(last.contains("100%"), last);
    }

    @Test
    void ratesAndTimesAreForHumans() {
        assertEquals("950", ProgressLine.rate(950.4));
        assertEquals("53.4k", ProgressLine.rate(53_412));
        assertEquals("1.23M", ProgressLine.rate(1_234_567));
        assertEquals("0:07", ProgressLine.clock(7.2));
        assertEquals("12:34", ProgressLine.clock(754));
        assertEquals("1:02:03", ProgressLine.clock(3723));
    }

    @Test
    void terminalDevicesAreTtysAndPtysNotFilesOrPipes() {
        assertTrue(Terminal.isTerminalDevice("/dev/pts/3"));
        assertTrue(Terminal.isTerminalDevice("/dev/tty1"));
        assertFalse(Terminal.isTerminalDevice("pipe:[12345]"));
        assertFalse(Terminal.isTerminalDevice("/tmp/log.txt"));
        assertFalse(Terminal.isTerminalDevice("/dev/null"));
    }
}
