package outtree

import (
	"context"
	"sort"
)

// Join is one job writing the files of several into one tree, for
// documents made by different packages that are published together. The
// jobs' paths must not overlap (Write refuses a repeated path). A job
// that is a Preparer is told which of its own files will be written and
// may reorder them; the jobs' files are written in the order of jobs.
func Join(jobs ...Job) Job {
	if len(jobs) == 1 {
		return jobs[0]
	}
	type ref struct {
		path     string
		job, idx int
	}
	var refs []ref
	for k, job := range jobs {
		for i, p := range job.Paths() {
			refs = append(refs, ref{p, k, i})
		}
	}
	sort.SliceStable(refs, func(a, b int) bool { return refs[a].path < refs[b].path })
	j := &joined{
		jobs:   jobs,
		paths:  make([]string, len(refs)),
		owner:  make([]int, len(refs)),
		local:  make([]int, len(refs)),
		global: make([][]int, len(jobs)),
	}
	for k, job := range jobs {
		j.global[k] = make([]int, len(job.Paths()))
	}
	for i, r := range refs {
		j.paths[i], j.owner[i], j.local[i] = r.path, r.job, r.idx
		j.global[r.job][r.idx] = i
	}
	return j
}

// joined is the job Join makes: file i is file local[i] of jobs[owner[i]],
// and file l of job k is file global[k][l].
type joined struct {
	jobs         []Job
	paths        []string
	owner, local []int
	global       [][]int
}

var _ Preparer = (*joined)(nil)

func (j *joined) Paths() []string { return j.paths }

func (j *joined) Reuse(i int, old Entry) (Entry, bool) {
	return j.jobs[j.owner[i]].Reuse(j.local[i], old)
}

func (j *joined) Write(ctx context.Context, i int, full string) (Entry, error) {
	return j.jobs[j.owner[i]].Write(ctx, j.local[i], full)
}

// Prepare hands each job its share of todo, in its own indices, and puts
// the jobs' files back in todo one job after another, each in the order
// its job chose; the first job to refuse stops the write.
func (j *joined) Prepare(todo []int) error {
	per := make([][]int, len(j.jobs))
	for _, i := range todo {
		per[j.owner[i]] = append(per[j.owner[i]], j.local[i])
	}
	n := 0
	for k, local := range per {
		if p, ok := j.jobs[k].(Preparer); ok {
			if err := p.Prepare(local); err != nil {
				return err
			}
		}
		for _, l := range local {
			todo[n] = j.global[k][l]
			n++
		}
	}
	return nil
}
