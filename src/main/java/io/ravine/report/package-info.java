/** Pictures and pages: PNG charts (XChart, headless) and the HTML reports of runs, diagnoses and studies. */
package io.ravine.report;
