// `import text from "./agent.proto" with { type: "text" }`: Bun inlines the file, so the compiled
// agent carries its own contract.
declare module "*.proto" {
  const text: string;
  export default text;
}
