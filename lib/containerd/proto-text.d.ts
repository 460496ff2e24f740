// .proto files are imported as text (Bun `with { type: "text" }`) so compiled binaries embed them.
declare module "*.proto" {
  const text: string;
  export default text;
}
