package main

// The serdes scenario: file formats in and out of row files.
//
//	go run ./bench serdes [-rows 1000000] [-dir /tmp] [-keep]
//
// It generates N JSON lines (10 fields: int, two strings, a float, a
// decimal, a bool, a date string, a timestamp string, a nullable string
// and a nested object), then times each conversion as the tasks do it,
// files on disk, one goroutine, and prints one JSON line per step:
//
//	json-schema-scan  the first pass serdes.json.Reader makes (union of keys)
//	json-to-rows      scan + decode into a row file (what the task does)
//	rows-to-avro      row file → Avro OCF, schema inferred from the rows
//	rows-to-csv       row file → CSV
//	rows-to-json      row file → JSON lines
//	avro-to-rows      Avro OCF → row file
//	csv-to-rows       CSV → row file (string columns)
//
// mb_per_s is the size of the step's input file over its wall time;
// cpu_seconds is user+system time, which on a shared machine is the
// steadier figure.

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/rows/rowfile"
	"github.com/sluicehq/sluice/serdes/avro"
	"github.com/sluicehq/sluice/serdes/csv"
	"github.com/sluicehq/sluice/serdes/json"
)

func init() { scenarios["serdes"] = runSerdes }

func runSerdes(args []string) error {
	fs := flag.NewFlagSet("serdes", flag.ContinueOnError)
	n := fs.Int64("rows", 1_000_000, "JSON lines to generate")
	dir := fs.String("dir", os.TempDir(), "folder for the generated and converted files")
	keep := fs.Bool("keep", false, "keep the files")
	if err := fs.Parse(args); err != nil {
		return err
	}
	work, err := os.MkdirTemp(*dir, "sluice-bench-serdes-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(work)
	} else {
		fmt.Fprintf(os.Stderr, "bench: serdes files in %s\n", work)
	}
	p := func(name string) string { return filepath.Join(work, name) }

	fmt.Fprintf(os.Stderr, "bench: serdes: generating %d JSON lines\n", *n)
	if err := serdesGenerate(p("in.jsonl"), *n); err != nil {
		return err
	}

	// json-schema-scan: the inference pass alone.
	if err := serdesStep("json-schema-scan", p("in.jsonl"), "", func(in io.Reader, _ io.Writer) (int64, error) {
		s, _, err := json.InferSchema(in, json.ReadOptions{Name: "in.jsonl"}, 0)
		if err != nil {
			return 0, err
		}
		if len(s.Fields) != 10 {
			return 0, fmt.Errorf("inferred %d fields: %s", len(s.Fields), s)
		}
		return *n, nil
	}); err != nil {
		return err
	}

	steps := []struct {
		name, in, out string
		run           func(in io.Reader, out io.Writer) (int64, error)
	}{
		{"json-to-rows", "in.jsonl", "json.rows", func(in io.Reader, out io.Writer) (int64, error) {
			// As the task: a scan pass for the schema, then the rows.
			f := in.(*os.File)
			s, _, err := json.InferSchema(bufio.NewReaderSize(f, 1<<20), json.ReadOptions{}, 0)
			if err != nil {
				return 0, err
			}
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return 0, err
			}
			d, err := json.NewReader(f, json.ReadOptions{Schema: s, Name: "in.jsonl"})
			if err != nil {
				return 0, err
			}
			return serdesToRows(d, out)
		}},
		{"rows-to-avro", "json.rows", "out.avro", func(in io.Reader, out io.Writer) (int64, error) {
			r, err := rowfile.NewReader(in)
			if err != nil {
				return 0, err
			}
			w, err := avro.NewWriter(out, r.Schema(), avro.WriteOptions{})
			if err != nil {
				return 0, err
			}
			return serdesCopy(w, r)
		}},
		{"rows-to-csv", "json.rows", "out.csv", func(in io.Reader, out io.Writer) (int64, error) {
			r, err := rowfile.NewReader(in)
			if err != nil {
				return 0, err
			}
			w, err := csv.NewWriter(out, r.Schema(), csv.DefaultWriteOptions())
			if err != nil {
				return 0, err
			}
			return serdesCopy(w, r)
		}},
		{"rows-to-json", "json.rows", "out.jsonl", func(in io.Reader, out io.Writer) (int64, error) {
			r, err := rowfile.NewReader(in)
			if err != nil {
				return 0, err
			}
			w, err := json.NewWriter(out, r.Schema(), json.WriteOptions{})
			if err != nil {
				return 0, err
			}
			return serdesCopy(w, r)
		}},
		{"avro-to-rows", "out.avro", "avro.rows", func(in io.Reader, out io.Writer) (int64, error) {
			d, err := avro.NewReader(in, avro.ReadOptions{Name: "out.avro"})
			if err != nil {
				return 0, err
			}
			return serdesToRows(d, out)
		}},
		{"csv-to-rows", "out.csv", "csv.rows", func(in io.Reader, out io.Writer) (int64, error) {
			d, err := csv.NewReader(in, csv.DefaultReadOptions())
			if err != nil {
				return 0, err
			}
			return serdesToRows(d, out)
		}},
	}
	for _, s := range steps {
		if err := serdesStep(s.name, p(s.in), p(s.out), s.run); err != nil {
			return err
		}
	}
	return nil
}

// serdesStep times one conversion from file in to file out ("" for none).
func serdesStep(name, in, out string, run func(io.Reader, io.Writer) (int64, error)) error {
	st, err := os.Stat(in)
	if err != nil {
		return err
	}
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	var w io.Writer = io.Discard
	var of *os.File
	var bw *bufio.Writer
	if out != "" {
		if of, err = os.Create(out); err != nil {
			return err
		}
		defer of.Close()
		bw = bufio.NewWriterSize(of, 1<<20)
		w = bw
	}
	runtime.GC()
	rssReset := resetPeakRSS()
	c0, t0 := cpuTime(), time.Now()
	var r io.Reader = f
	if name != "json-to-rows" { // that step seeks, and buffers itself
		r = bufio.NewReaderSize(f, 1<<20)
	}
	n, err := run(r, w)
	if err == nil && bw != nil {
		err = bw.Flush()
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	wall, cpu := time.Since(t0).Seconds(), (cpuTime() - c0).Seconds()
	res := map[string]any{
		"scenario": "serdes", "step": name, "rows": n,
		"seconds": round(wall, 3), "cpu_seconds": round(cpu, 3),
		"rows_per_s": round(float64(n)/wall, 0), "rows_per_cpu_s": round(float64(n)/cpu, 0),
		"mb_per_s": round(float64(st.Size())/1e6/wall, 1), "input_mb": round(float64(st.Size())/1e6, 1),
	}
	if of != nil {
		if fi, err := of.Stat(); err == nil {
			res["output_mb"] = round(float64(fi.Size())/1e6, 1)
		}
	}
	if rssReset {
		res["peak_rss_mb"] = peakRSSMB()
	} else {
		res["peak_rss_mb_process"] = peakRSSMB()
	}
	emit(res)
	return nil
}

func serdesToRows(d rows.Reader, out io.Writer) (int64, error) {
	w, err := rowfile.NewWriter(out, d.Schema())
	if err != nil {
		return 0, err
	}
	var row rows.Row
	var n int64
	for d.Next(&row) {
		if err := w.Write(&row); err != nil {
			return n, err
		}
		n++
	}
	if err := d.Err(); err != nil {
		return n, err
	}
	return n, w.Flush()
}

func serdesCopy(w rows.Writer, r rows.Reader) (int64, error) {
	n, err := rows.Copy(w, r)
	if err != nil {
		return n, err
	}
	return n, w.Close()
}

// serdesGenerate writes n deterministic JSON lines.
func serdesGenerate(path string, n int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	var b []byte
	cities := []string{"Paris", "Lyon", "Zürich", "São Paulo", "New \"York\""}
	for i := int64(0); i < n; i++ {
		b = b[:0]
		b = append(b, `{"id":`...)
		b = strconv.AppendInt(b, i, 10)
		b = append(b, `,"name":"customer `...)
		b = strconv.AppendInt(b, i*7919%1000003, 10)
		b = append(b, `","city":`...)
		b = rows.AppendJSONString(b, cities[i%int64(len(cities))])
		b = append(b, `,"score":`...)
		b = strconv.AppendFloat(b, float64(i%10007)/97.0, 'g', -1, 64)
		b = append(b, `,"amount":`...)
		b = strconv.AppendInt(b, i%100000, 10)
		b = append(b, '.')
		b = append(b, byte('0'+i%10), byte('0'+i/10%10))
		b = append(b, `,"active":`...)
		b = strconv.AppendBool(b, i%3 != 0)
		day := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(i%1500))
		b = append(b, `,"day":"`...)
		b = day.AppendFormat(b, "2006-01-02")
		b = append(b, `","at":"`...)
		b = day.Add(time.Duration(i%86400e6)*time.Microsecond).AppendFormat(b, "2006-01-02T15:04:05.000000Z07:00")
		b = append(b, `","note":`...)
		if i%4 == 0 {
			b = append(b, "null"...)
		} else {
			b = append(b, `"note `...)
			b = strconv.AppendInt(b, i%1000, 10)
			b = append(b, '"')
		}
		b = append(b, `,"meta":{"source":"web","rank":`...)
		b = strconv.AppendInt(b, i%10, 10)
		b = append(b, `,"tags":["a","b"]}}`...)
		b = append(b, '\n')
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return w.Flush()
}
