//go:build mpi

package main

import (
	"fmt"
	"slices"

	"github.com/gradflow/gradflow/train/dist"
)

// collectives checks each collective of the MPI communicator on every rank.
func collectives(c dist.Communicator) error {
	r, n := c.Rank(), c.Size()
	x := []float64{0.1 * float64(r+1), float64(r)}
	if err := c.AllReduceSum(x); err != nil {
		return err
	}
	var want0, want1 float64
	for i := range n {
		want0 += 0.1 * float64(i+1)
		want1 += float64(i)
	}
	if x[0] != want0 || x[1] != want1 { // want0 summed in rank order, as 2 ranks do
		return fmt.Errorf("AllReduceSum = %v, want [%v %v]", x, want0, want1)
	}
	big := make([]float32, 3<<20) // 12 MiB, in flight while the next one starts
	small := []float32{float32(r), 1}
	for i := range big {
		big[i] = float32(i % 7)
	}
	q1, err := c.IAllReduceSum(big)
	if err != nil {
		return err
	}
	q2, err := c.IAllReduceSum(small)
	if err != nil {
		return err
	}
	if err := q1.Wait(); err != nil {
		return err
	}
	if err := q2.Wait(); err != nil {
		return err
	}
	if err := q2.Wait(); err == nil {
		return fmt.Errorf("a second Wait succeeded, want an error")
	}
	for i, v := range big {
		if v != float32(n*(i%7)) {
			return fmt.Errorf("IAllReduceSum: element %d = %v, want %v", i, v, n*(i%7))
		}
	}
	if small[0] != float32(n*(n-1)/2) || small[1] != float32(n) {
		return fmt.Errorf("IAllReduceSum = %v", small)
	}
	b := []byte{byte(r), 9}
	if err := c.Broadcast(b, n-1); err != nil {
		return err
	}
	if !slices.Equal(b, []byte{byte(n - 1), 9}) {
		return fmt.Errorf("Broadcast = %v", b)
	}
	all := make([]int64, 2*n)
	if err := c.AllGather([]int64{int64(r), 7}, all); err != nil {
		return err
	}
	for i := range n {
		if all[2*i] != int64(i) || all[2*i+1] != 7 {
			return fmt.Errorf("AllGather = %v", all)
		}
	}
	if err := c.AllReduceSum([]int{1}); err == nil {
		return fmt.Errorf("AllReduceSum([]int) succeeded, want an error")
	}
	if err := c.Broadcast([]byte{1}, n); err == nil {
		return fmt.Errorf("Broadcast to root %d of %d succeeded, want an error", n, n)
	}
	if err := c.AllGather([]byte{1}, make([]byte, n+1)); err == nil {
		return fmt.Errorf("AllGather into a buffer of the wrong size succeeded, want an error")
	}
	if err := c.Barrier(); err != nil {
		return err
	}
	fmt.Printf("rank %d collectives ok\n", r)
	return nil
}
