package io.ravine.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.report.PageChecks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The study's report.html: header, contents, no blank values; each training trial a run with its own report. */
class StudyReportStructureTest {

    private static Backend cpuOnly(String device) {
        if (!device.equals("cpu")) {
            throw new InvalidInputException("no " + device + " in this test");
        }
        return CpuBackend.f32();
    }

    @Test
    void theStudyPageHasAHeaderContentsAReasonForEveryMissingValueAndALinkToEveryTrialsRun(@TempDir Path tmp)
            throws Exception {
        // A target no trial reaches in 10 steps: every steps point is not_reached, with no steps, examples or
        // learning rate to show, and no regions or B_crit.
        BatchSizeStudyConfig config = BatchSizeStudyConfig.builder().optParts(List.of("hardware", "steps"))
                .optBatchSizes(1, 2, 4).optInputs(20).optHidden(8).optClasses(3).optWarmup(1).optWarmupSeconds(0)
                .optRepeats(3).optSecondsPerSize(0).optLimit(300).optStepBatchSizes(20, 40).optLrGrid(0)
                .optLearningRate(3e-3).optTargetLoss(0.01).optMaxSteps(10).optCheckEvery(5).optSubset(100)
                .build();
        Path dir = tmp.resolve("study");
        List<String> command = List.of("ravine", "study", "batch-size", "--target-loss", "0.01");
        BatchSizeStudyResult r = new BatchSizeStudy(config, dir).optDeviceOpener(StudyReportStructureTest::cpuOnly)
                .optProgressBar(false).optCommandLine(command).run();
        assertTrue(r.stepsToTarget().stream().allMatch(p -> p.status().equals("not_reached")),
                "no trial may reach the target, or the reasons below are not tested: " + r.stepsToTarget());

        String html = Files.readString(dir.resolve("report.html"));
        PageChecks.assertHeader(html, "ravine study batch-size --target-loss 0.01");
        assertTrue(html.contains("cpu (") && !html.contains("device:</span> unknown"), "the device opened");
        PageChecks.assertContents(html, "settings", "hardware-saturation", "steps-to-target", "training-runs",
                "files");
        PageChecks.assertBalanced(html);
        PageChecks.assertNoBlankCells(html);
        String steps = PageChecks.section(html, "steps-to-target");
        assertTrue(steps.contains("<td>- (no learning rate reached the target)</td>"), steps);
        // A value left out of a sentence leaves two spaces ("flat cost 0.38 s, then  s per example").
        assertFalse(html.contains("  "), "a blank value in a sentence");

        // Every training trial is a run directory with its own report (its header naming the study's command);
        // the page links each; the hardware trials are not runs.
        List<String> links = PageChecks.assertLinksResolve(html, dir);
        List<TrialRow> training = r.rows().stream().filter(t -> t.kind().equals("steps")).toList();
        assertEquals(2, training.size());
        for (TrialRow t : training) {
            Path run = dir.resolve("runs").resolve(BatchSizeStudy.runName(t.trial()));
            for (String f : List.of("config.json", "metrics.csv", "summary.json", "report.html")) {
                assertTrue(Files.isRegularFile(run.resolve(f)), run + "/" + f);
            }
            assertTrue(links.contains("runs/" + run.getFileName() + "/report.html"), run.toString());
            PageChecks.assertHeader(Files.readString(run.resolve("report.html")),
                    "ravine study batch-size --target-loss 0.01");
        }
        try (var runs = Files.list(dir.resolve("runs"))) {
            assertEquals(2, runs.count(), "a run directory per training trial, none for the hardware trials");
        }
    }
}
